// SPDX-License-Identifier: GPL-2.0-only
// Stage 1 of diffViews: every patched function against its original twin, deciding which
// changed (with why), which are new, and which changes are ignored.
import { type Comparison, compareFunctions } from "./compare.ts";
import type { Decisions, DiffContext } from "./context.ts";
import { attributeInlining, explainChange } from "./explain.ts";
import { sourceNameOf } from "./predicates.ts";
import { type FuncUnit, rootOf } from "./units.ts";

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
  return compareFunctions(
    ctx.origSide,
    ctx.patchedSide,
    ou,
    pu,
    ctx.origSpecial.byFunc.get(ou) ?? [],
    ctx.patchedSpecial.byFunc.get(pu) ?? [],
    // A function whose source the fix edits gets no benefit of the doubt: a constant there
    // that equals a moved line number may be a real change.
    ctx.sourceFunctions.has(sourceNameOf(rootOf(pu).sym.name)) ? undefined : ctx.options.movedLine,
  );
}

/** KPATCH_IGNORE_FUNCTION / KPATCH_IGNORE_SECTION in the fix. */
function isMarkedIgnored(ctx: DiffContext, pu: FuncUnit): boolean {
  return ctx.markers.ignoredFunctions.has(pu.sym) || ctx.markers.ignoredSections.has(pu.sec.name);
}
