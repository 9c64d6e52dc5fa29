// SPDX-License-Identifier: GPL-2.0-only
// Stage 1 of diffViews: every patched function against its original twin, deciding which
// changed (with why), which are new, and which changes are ignored.
import { type Comparison, compareFunctions } from "./compare.ts";
import type { Decisions, DiffContext } from "./context.ts";
import { attributeInlining, explainChange } from "./explain.ts";
import type { FuncUnit } from "./units.ts";

export interface FunctionComparison {
  /** how many functions had a twin to compare with */
  compared: number;
  /** f -> g when f changed only because it inlines g (from attributeInlining) */
  explainedBy: Map<FuncUnit, FuncUnit>;
}

/** Functions, compared pairwise; those without a twin are new. */
export function compareFunctionPairs(ctx: DiffContext, d: Decisions): FunctionComparison {
  let compared = 0;
  const changedPairs: Array<{ ou: FuncUnit; pu: FuncUnit }> = [];
  for (const pu of ctx.patched.funcs) {
    const twin = ctx.corr.toOrig.get(pu.sym);
    const ou = twin ? ctx.orig.funcBySym.get(twin) : undefined;
    if (!ou) {
      d.isNew.add(pu);
      continue;
    }
    compared++;
    const result = comparePair(ctx, ou, pu);
    if (result.kind !== "same" && isMarkedIgnored(ctx, pu)) {
      d.ignored.push({
        name: pu.sym.name,
        reason: "changed, but the patch author marked it to be ignored (KPATCH_IGNORE_FUNCTION/SECTION)",
      });
      continue;
    }
    if (result.kind === "line-only") d.ignored.push({ name: pu.sym.name, reason: result.detail });
    if (result.kind === "changed") {
      d.changed.add(pu);
      changedPairs.push({ ou, pu });
      d.reasons.set(pu, explainChange(ctx, ou, pu, result.detail));
    }
  }
  return { compared, explainedBy: attributeInlining(ctx, changedPairs, d.reasons) };
}

/** One function against its twin, code and special-section entries together. */
function comparePair(ctx: DiffContext, ou: FuncUnit, pu: FuncUnit): Comparison {
  const result = compareFunctions(
    ctx.origSide,
    ctx.patchedSide,
    ou,
    pu,
    ctx.origSpecial.byFunc.get(ou) ?? [],
    ctx.patchedSpecial.byFunc.get(pu) ?? [],
  );
  // The same unit built from the fixed source with the old line numbers (#line) has this
  // function unchanged: what differs here is only line numbers the fix moved.
  if (result.kind === "changed" && ctx.options.sameWithOldLineNumbers?.has(pu.sym.name))
    return { kind: "line-only", detail: OLD_LINE_NUMBERS_DETAIL };
  return result;
}

const OLD_LINE_NUMBERS_DETAIL =
  "only line numbers the fix moved changed (built with the old line numbers, the code is the same)";

/** KPATCH_IGNORE_FUNCTION / KPATCH_IGNORE_SECTION in the fix. */
function isMarkedIgnored(ctx: DiffContext, pu: FuncUnit): boolean {
  return ctx.markers.ignoredFunctions.has(pu.sym) || ctx.markers.ignoredSections.has(pu.sec.name);
}
