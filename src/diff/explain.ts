// SPDX-License-Identifier: GPL-2.0-only
// Why a function changed, in words: its own code, a callee that is now inlined into it
// ("inlines X"), a call that appeared or disappeared, a changed constant it uses, a changed
// child part. Binary evidence first; the fix's own list of touched functions (if given) only
// names which inlined callee the change most likely came from.

import type { Correlation } from "./correlate.ts";
import type { Side } from "./fingerprint.ts";
import { STT_FUNC } from "./predicates.ts";
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
  const self = pu.sym.name.replace(/\.(isra|constprop|part|cold|llvm)\..*$/, "");
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
