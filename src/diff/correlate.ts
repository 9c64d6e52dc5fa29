// SPDX-License-Identifier: GPL-2.0-only
// Twin finding: which symbol of the patched object is which symbol of the original. A funnel
// of small rules, each tried only on what the previous ones left unmatched:
//   1. same name and type;
//   2. static locals (`count.3` vs `count.7`) by the functions that reference them, in order;
//   3. same name once compiler numbers are stripped (.isra.N, .constprop.N, .part.N, .cold.N,
//      .llvm.N, `name.N`, __UNIQUE_ID_xN), pairing in symbol-table order.
// Special statics (__warned, __key, __func__, ...) are never paired: the patch gets new ones.
// String literals and anonymous constants have no symbols; they are compared by content in
// ./fingerprint.ts instead.
import type { DiffObject, DSymbol } from "./model.ts";
import { isNumberedStaticLocal, isSpecialStatic, STT_FUNC, STT_OBJECT, stripNumbers } from "./predicates.ts";
import { resolveTarget } from "./resolve.ts";
import type { StaticLocalMatch } from "./types.ts";
import type { FuncUnit, ObjectUnits } from "./units.ts";

export interface Correlation {
  /** patched symbol -> original symbol */
  toOrig: Map<DSymbol, DSymbol>;
  /** original symbol -> patched symbol */
  toPatched: Map<DSymbol, DSymbol>;
  staticLocals: StaticLocalMatch[];
  warnings: string[];
}

/** Symbols that take part in correlation: defined functions and objects. */
function isCorrelatable(sym: DSymbol): boolean {
  return (
    (sym.type === STT_FUNC || sym.type === STT_OBJECT) && sym.section !== undefined && !isSpecialStatic(sym)
  );
}

function pair(c: Correlation, orig: DSymbol, patched: DSymbol): void {
  c.toOrig.set(patched, orig);
  c.toPatched.set(orig, patched);
}

/** Rule 1: identical names (static locals excepted: their numbers can coincide by chance). */
function byExactName(c: Correlation, orig: DSymbol[], patched: DSymbol[]): void {
  const patchedByName = new Map<string, DSymbol[]>();
  for (const s of patched) {
    if (isNumberedStaticLocal(s)) continue;
    const list = patchedByName.get(s.name);
    if (list) list.push(s);
    else patchedByName.set(s.name, [s]);
  }
  for (const o of orig) {
    if (isNumberedStaticLocal(o)) continue;
    const list = patchedByName.get(o.name);
    const p = list?.find((s) => s.type === o.type && !c.toOrig.has(s));
    if (p) pair(c, o, p);
  }
}

/** Rule 2: a static local is the one the twin function references at the same place in order. */
function staticLocalsByReference(c: Correlation, orig: ObjectUnits, patched: ObjectUnits): void {
  const targetsOf = (unit: FuncUnit): DSymbol[] => {
    const out: DSymbol[] = [];
    const units = [unit, ...unit.children];
    for (const u of units) {
      for (const r of u.relocs) {
        const t = resolveTarget(u.sec, r);
        if (t.kind === "symbol" && isNumberedStaticLocal(t.sym)) out.push(t.sym);
      }
    }
    return out;
  };
  for (const ou of orig.funcs) {
    if (ou.parent) continue;
    const twin = c.toPatched.get(ou.sym);
    const pu = twin ? patched.funcBySym.get(twin) : undefined;
    if (!pu) continue;
    const origRefs = targetsOf(ou).filter((s) => !c.toPatched.has(s));
    if (origRefs.length === 0) continue;
    const patchedRefs = targetsOf(pu);
    for (const o of origRefs) {
      if (c.toPatched.has(o)) continue;
      const base = stripNumbers(o.name);
      const p = patchedRefs.find(
        (s) => !c.toOrig.has(s) && s.type === o.type && stripNumbers(s.name) === base,
      );
      if (p) {
        pair(c, o, p);
        c.staticLocals.push({ patched: p.name, orig: o.name });
      }
    }
  }
}

/** Rule 3: names equal once compiler-made numbers are removed; ties paired in table order. */
function byStrippedName(c: Correlation, orig: DSymbol[], patched: DSymbol[]): void {
  const pending = new Map<string, DSymbol[]>();
  for (const s of patched) {
    if (c.toOrig.has(s)) continue;
    const key = `${s.type}:${stripNumbers(s.name)}`;
    const list = pending.get(key);
    if (list) list.push(s);
    else pending.set(key, [s]);
  }
  for (const o of orig) {
    if (c.toPatched.has(o)) continue;
    const list = pending.get(`${o.type}:${stripNumbers(o.name)}`);
    const p = list?.shift();
    if (!p) continue;
    pair(c, o, p);
    if (isNumberedStaticLocal(o)) c.staticLocals.push({ patched: p.name, orig: o.name });
  }
}

export function correlate(orig: ObjectUnits, patched: ObjectUnits): Correlation {
  const c: Correlation = { toOrig: new Map(), toPatched: new Map(), staticLocals: [], warnings: [] };
  const o = orig.obj.symbols.filter(isCorrelatable);
  const p = patched.obj.symbols.filter(isCorrelatable);
  byExactName(c, o, p);
  staticLocalsByReference(c, orig, patched);
  byStrippedName(c, o, p);
  for (const s of p) {
    if (!c.toOrig.has(s) && isNumberedStaticLocal(s)) {
      c.warnings.push(
        `static local ${s.name} has no twin in the original object: assumed new (the patch gets its own copy)`,
      );
    }
  }
  return c;
}

export type { DiffObject };
