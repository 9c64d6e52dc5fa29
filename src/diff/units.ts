// SPDX-License-Identifier: GPL-2.0-only
// The functions of one object as units of comparison: byte range, relocations, child parts
// (.cold/.part.N) linked to their parent, and whether ftrace can redirect them.
import { type DiffObject, type DReloc, type DSection, type DSymbol, relocsIn } from "./model.ts";
import { childParentName, isPrefixSymbol, STT_FUNC } from "./predicates.ts";
import { resolveTarget } from "./resolve.ts";

export interface FuncUnit {
  sym: DSymbol;
  sec: DSection;
  start: number;
  end: number;
  relocs: DReloc[];
  parent?: FuncUnit;
  children: FuncUnit[];
  /** A __fentry__ (or mcount) call at the entry: ftrace, hence livepatch, can redirect it. */
  hasFentry: boolean;
}

export interface ObjectUnits {
  obj: DiffObject;
  funcs: FuncUnit[];
  funcBySym: Map<DSymbol, FuncUnit>;
  funcByName: Map<string, FuncUnit>;
}

const profilingCalls = new Set(["__fentry__", "mcount", "__mcount", "_mcount"]);

function hasEntryProfilingCall(relocs: DReloc[], start: number): boolean {
  for (const r of relocs) {
    if (r.offset > start + 16) break;
    if (profilingCalls.has(r.symbol.name)) return true;
  }
  return false;
}

export function functionUnits(obj: DiffObject): ObjectUnits {
  const funcs: FuncUnit[] = [];
  const funcBySym = new Map<DSymbol, FuncUnit>();
  const funcByName = new Map<string, FuncUnit>();
  for (const sym of obj.symbols) {
    if (sym.type !== STT_FUNC || !sym.section || isPrefixSymbol(sym)) continue;
    const start = sym.value;
    const end = sym.value + sym.size;
    const relocs = relocsIn(sym.section, start, end);
    const unit: FuncUnit = {
      sym,
      sec: sym.section,
      start,
      end,
      relocs,
      children: [],
      hasFentry: hasEntryProfilingCall(relocs, start),
    };
    funcs.push(unit);
    funcBySym.set(sym, unit);
    if (!funcByName.has(sym.name)) funcByName.set(sym.name, unit);
  }
  for (const unit of funcs) {
    const parentName = childParentName(unit.sym.name);
    const parent = parentName === undefined ? undefined : funcByName.get(parentName);
    if (parent && parent !== unit) {
      unit.parent = parent;
      parent.children.push(unit);
    }
  }
  return { obj, funcs, funcBySym, funcByName };
}

/** The outermost parent of a child part (a .part.N can itself have a .cold). */
export function rootOf(unit: FuncUnit): FuncUnit {
  let u = unit;
  while (u.parent) u = u.parent;
  return u;
}

/** patched object symbol -> functions whose code references it */
export function referencingFunctions(funcs: FuncUnit[]): Map<DSymbol, FuncUnit[]> {
  const users = new Map<DSymbol, FuncUnit[]>();
  for (const u of funcs) {
    for (const r of u.relocs) {
      const t = resolveTarget(u.sec, r);
      if (t.kind !== "symbol") continue;
      const list = users.get(t.sym);
      if (!list) users.set(t.sym, [u]);
      else if (list[list.length - 1] !== u) list.push(u);
    }
  }
  return users;
}
