// SPDX-License-Identifier: GPL-2.0-only
// Why a function changed, in words: its own code, a callee that is now inlined into it
// ("inlines X"), a call that appeared or disappeared, a changed constant it uses, a changed
// child part. Binary evidence first; the fix's own list of touched functions (if given) only
// names which inlined callee the change most likely came from.

import type { Correlation } from "./correlate.ts";
import { renderTarget, type Side } from "./fingerprint.ts";
import { isInitOrExitSection, STB_LOCAL, STT_FUNC, sourceNameOf } from "./predicates.ts";
import { resolveTarget } from "./resolve.ts";
import type { FuncUnit, ObjectUnits } from "./units.ts";

function calledNames(unit: FuncUnit, side: Side): Map<string, string> {
  // canonical key -> display name
  const out = new Map<string, string>();
  for (const u of [unit, ...unit.children]) {
    for (const r of u.relocs) {
      const t = resolveTarget(u.sec, r);
      if (t.kind === "external") out.set(`ext:${t.name}`, t.name);
      else if (
        t.kind === "symbol" &&
        t.sym.type === STT_FUNC &&
        t.sym !== u.sym &&
        !u.children.some((c) => c.sym === t.sym)
      ) {
        out.set(side.canonical(t.sym), t.sym.name);
      }
    }
  }
  return out;
}

export interface ExplainContext {
  orig: ObjectUnits;
  patched: ObjectUnits;
  origSide: Side;
  patchedSide: Side;
  corr: Correlation;
  sourceFunctions: Set<string>;
}

export function explainChange(ctx: ExplainContext, ou: FuncUnit, pu: FuncUnit, detail: string): string[] {
  const reasons: string[] = [];
  const before = calledNames(ou, ctx.origSide);
  const after = calledNames(pu, ctx.patchedSide);
  for (const [key, name] of before) {
    if (after.has(key)) continue;
    const origCallee = ctx.orig.funcByName.get(name);
    if (origCallee && !ctx.corr.toPatched.has(origCallee.sym)) reasons.push(`inlines ${name}`);
    else if (origCallee) reasons.push(`no longer calls ${name}`);
  }
  for (const [key, name] of after) {
    if (before.has(key)) continue;
    reasons.push(key.startsWith("new:") ? `calls new function ${name}` : `calls ${name}`);
  }
  const self = sourceNameOf(pu.sym.name);
  if (ctx.sourceFunctions.size > 0) {
    if (ctx.sourceFunctions.has(self)) reasons.unshift("changed by the fix");
    else {
      for (const f of ctx.sourceFunctions) {
        const outOfLine = ctx.patched.funcByName.get(f);
        if (!outOfLine || !after.has(ctx.patchedSide.canonical(outOfLine.sym))) reasons.push(`inlines ${f}`);
      }
    }
  }
  if (reasons.length === 0) reasons.push(`code changed (${detail})`);
  return [...new Set(reasons)];
}

function targetKeys(unit: FuncUnit, side: Side): Set<string> {
  const out = new Set<string>();
  for (const u of [unit, ...unit.children]) {
    for (const r of u.relocs) {
      const t = resolveTarget(u.sec, r);
      // Calls are left out: a call to a new or changed helper is a common cause, not a body.
      if (t.kind === "symbol" && t.sym.type === STT_FUNC) continue;
      if (t.kind === "external" && r.type === R_PLT32) continue;
      out.add(renderTarget(side, t, false));
    }
  }
  return out;
}

const R_PLT32 = 4;

/**
 * Of two functions with the same change, is `a` rather the callee inlined into `b`? Init/exit
 * code is never inlined into other code; a static function is inlined more often than a
 * global one; otherwise the smaller one.
 */
function likelyCallee(a: FuncUnit, b: FuncUnit): boolean {
  const init = (u: FuncUnit) => isInitOrExitSection(u.sec.name);
  if (init(a) !== init(b)) return init(b);
  const local = (u: FuncUnit) => u.sym.bind === STB_LOCAL;
  if (local(a) !== local(b)) return local(a);
  return a.end - a.start < b.end - b.start;
}
const minus = (a: Set<string>, b: Set<string>) => new Set([...a].filter((x) => !b.has(x)));

/**
 * A changed function whose new and dropped references include all the new and dropped
 * references of another changed, out-of-line function that it does not call (and has more
 * changes, or the same and is bigger) probably has that function inlined: "probably
 * inlines g". Binary evidence only (no debug info needed); calls are not counted.
 */
export function attributeInlining(
  ctx: ExplainContext,
  pairs: Array<{ ou: FuncUnit; pu: FuncUnit }>,
  reasons: Map<FuncUnit, string[]>,
): Map<FuncUnit, FuncUnit> {
  /** f -> g when f's whole change is g's change (f changed only because it inlines g). */
  const explained = new Map<FuncUnit, FuncUnit>();
  const deltas = pairs.map(({ ou, pu }) => {
    const before = targetKeys(ou, ctx.origSide);
    const after = targetKeys(pu, ctx.patchedSide);
    return { pu, added: minus(after, before), removed: minus(before, after), calls: after };
  });
  for (const f of deltas) {
    for (const g of deltas) {
      if (f === g || g.pu.parent || f.calls.has(ctx.patchedSide.canonical(g.pu.sym))) continue;
      // g's whole change shows up in f, and f changed more than that: g's body is in f.
      const within = (a: typeof g, b: typeof g) =>
        [...a.added].every((k) => b.added.has(k)) && [...a.removed].every((k) => b.removed.has(k));
      if (g.added.size + g.removed.size === 0 || !within(g, f)) continue;
      // Same change in both: decide which one is the inlined callee.
      if (within(f, g) && !likelyCallee(g.pu, f.pu)) continue;
      if (within(f, g)) explained.set(f.pu, g.pu);
      const list = reasons.get(f.pu) ?? [];
      const text = `probably inlines ${g.pu.sym.name}`;
      if (!list.includes(`inlines ${g.pu.sym.name}`) && !list.includes(text)) list.push(text);
      reasons.set(f.pu, list);
    }
  }
  return explained;
}
