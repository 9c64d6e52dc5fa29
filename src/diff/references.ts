// SPDX-License-Identifier: GPL-2.0-only
// Stage 5 of diffViews: what the patch module carries (the changed functions, their parts, and
// the new functions and data they reach) and every symbol that code references, classified
// for the module generator: included, a twin in the running kernel (local or global), or new.
import type { Decisions } from "./context.ts";
import { isMarkerSymbol, type Markers } from "./markers.ts";
import { type DSection, type DSymbol, relocsIn } from "./model.ts";
import {
  isConstantPool,
  isSpecialStatic,
  isStringSection,
  isText,
  isWritable,
  STB_LOCAL,
  STT_FUNC,
  STT_OBJECT,
} from "./predicates.ts";
import { resolveTarget, type Target } from "./resolve.ts";
import type { Entry } from "./special-sections.ts";
import type { SymbolReference } from "./types.ts";
import { type FuncUnit, rootOf } from "./units.ts";

/** Inclusion: changed functions, their parts, carried copies, and new non-local functions. */
export function includedFunctions(
  d: Decisions,
  carried: Map<FuncUnit, string>,
  markers: Markers,
): Set<FuncUnit> {
  const included = new Set<FuncUnit>();
  const includeFunc = (u: FuncUnit) => {
    if (included.has(u)) return;
    included.add(u);
    for (const c of u.children) includeFunc(c);
  };
  for (const u of d.changed) includeFunc(u);
  for (const u of carried.keys()) includeFunc(u);
  // New local functions come in only when something included reaches them (collectReferences).
  for (const u of d.isNew)
    if ((u.sym.bind !== STB_LOCAL || markers.callbacks.has(u.sym)) && !u.parent && !isMarkerSymbol(u.sym))
      includeFunc(u);
  return included;
}

/** The walk's state: references found so far, and the included functions still to visit. */
interface Walk {
  funcBySym: Map<DSymbol, FuncUnit>;
  toOrig: Map<DSymbol, DSymbol>;
  included: Set<FuncUnit>;
  isNew: Set<FuncUnit>;
  changedConst: Set<DSymbol>;
  refs: Map<string, SymbolReference>;
  seenData: Set<DSymbol>;
  queue: FuncUnit[];
}

/**
 * Every symbol the included functions reach, classified for the module generator. New
 * functions they reach are included (and visited) too, so `included` grows.
 */
export function collectReferences(
  funcBySym: Map<DSymbol, FuncUnit>,
  toOrig: Map<DSymbol, DSymbol>,
  included: Set<FuncUnit>,
  isNew: Set<FuncUnit>,
  changedConst: Set<DSymbol>,
  entries: Map<FuncUnit, Entry[]>,
): SymbolReference[] {
  const w: Walk = {
    funcBySym,
    toOrig,
    included,
    isNew,
    changedConst,
    refs: new Map(),
    seenData: new Set(),
    queue: [...included],
  };
  for (let i = 0; i < w.queue.length; i++) {
    const u = w.queue[i] as FuncUnit;
    const user = rootOf(u).sym.name;
    for (const r of u.relocs) classify(w, u.sec, resolveTarget(u.sec, r), user);
    classifyEntryTargets(w, u, entries.get(u) ?? [], user);
  }
  return [...w.refs.values()];
}

/** Out-of-line code that belongs to the code using it (alternatives, exception fixups). */
function isAuxiliaryText(name: string): boolean {
  return name === ".altinstr_replacement" || name === ".fixup" || name === ".altinstr_aux";
}

function add(w: Walk, key: string, ref: Omit<SymbolReference, "usedBy">, user: string): void {
  const r = w.refs.get(key);
  if (r) {
    if (!r.usedBy.includes(user)) r.usedBy.push(user);
  } else w.refs.set(key, { ...ref, usedBy: [user] });
}

/** One relocation target of `from` (code, an entry, or new data), on behalf of `user`. */
function classify(w: Walk, from: DSection, t: Target, user: string): void {
  if (t.kind === "none") return;
  if (t.kind === "external") add(w, `ext:${t.name}`, { name: t.name, kind: "global", type: "notype" }, user);
  else if (t.kind === "anon") classifyAnonymous(w, from, t.sec, user);
  else classifySymbol(w, t.sym, user);
}

/** A place in a section without a symbol: string literals, constants, or out-of-line code. */
function classifyAnonymous(w: Walk, from: DSection, sec: DSection, user: string): void {
  const kind = isStringSection(sec) || isConstantPool(sec) || !isWritable(sec) ? "new-rodata" : "new-data";
  if (isText(sec) && !isText(from) && !isAuxiliaryText(sec.name)) return;
  add(w, `sec:${sec.name}`, { name: sec.name, kind, type: "section" }, user);
}

/** A named target: included code, the running kernel's twin, or new data (visited in turn). */
function classifySymbol(w: Walk, sym: DSymbol, user: string): void {
  const key = `sym:${sym.index}`;
  const type = sym.type === STT_FUNC ? "func" : "object";
  const unit = w.funcBySym.get(sym);
  if (unit && (w.included.has(unit) || w.isNew.has(unit))) {
    if (!w.included.has(unit)) includeNew(w, unit);
    add(w, key, { name: sym.name, kind: "included", type }, user);
    return;
  }
  const twin = w.toOrig.get(sym);
  if (
    twin &&
    !isSpecialStatic(sym) &&
    !(sym.type === STT_OBJECT && !isWritable(sym.section) && w.changedConst.has(sym))
  ) {
    const kind = sym.bind === STB_LOCAL ? "local" : "global";
    add(w, key, { name: sym.name, origName: twin.name, kind, type }, user);
    return;
  }
  add(w, key, { name: sym.name, kind: isWritable(sym.section) ? "new-data" : "new-rodata", type }, user);
  visitData(w, sym, user);
}

/** A new function reached from included code comes in with its parts, to be visited too. */
function includeNew(w: Walk, unit: FuncUnit): void {
  w.included.add(unit);
  w.queue.push(unit);
  for (const c of unit.children) {
    if (w.included.has(c)) continue;
    w.included.add(c);
    w.queue.push(c);
  }
}

function visitData(w: Walk, sym: DSymbol, user: string): void {
  // New data can point to new functions (an ops table) or to other new data.
  if (w.seenData.has(sym) || !sym.section) return;
  w.seenData.add(sym);
  for (const r of sym.section.relocs) {
    if (r.offset < sym.value || r.offset >= sym.value + sym.size) continue;
    classify(w, sym.section, resolveTarget(sym.section, r), user);
  }
}

/**
 * What the carried special-section entries point to (static keys, bug file names,
 * alternative replacements, fixups), except the function's own code.
 */
function classifyEntryTargets(w: Walk, u: FuncUnit, entries: Entry[], user: string): void {
  for (const e of entries) {
    for (const r of relocsIn(e.sec, e.offset, e.offset + e.size)) {
      const t = resolveTarget(e.sec, r);
      if (t.kind === "symbol" && w.funcBySym.get(t.sym) === u) continue;
      if (t.kind === "anon" && isText(t.sec) && !isAuxiliaryText(t.sec.name)) continue;
      classify(w, e.sec, t, user);
    }
  }
}
