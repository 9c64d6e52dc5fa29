// SPDX-License-Identifier: GPL-2.0-only
// The differ's pipeline on two indexed objects: correlate, compare functions and data, attach
// child parts and special-section entries, find what the included functions reference, and
// decide the verdict. Pure: no files, no kernel tree. Each stage is a function of its own
// (./compare-functions.ts, ./compare-data.ts, ./redirect.ts, ./references.ts,
// ./function-list.ts); diffViews only runs them in order, since each builds on the decisions
// of the ones before. The layout stage (./layout.ts) reads the debug information of the ELF
// objects, which the views do not keep: diffObjects runs it and passes its report in.

import { checkSpecialEntries } from "./carry.ts";
import { compareData } from "./compare-data.ts";
import { compareFunctionPairs } from "./compare-functions.ts";
import { type Decisions, type DiffContext, makeContext, noDecisions } from "./context.ts";
import { exportWarnings } from "./exports.ts";
import { listFunctions } from "./function-list.ts";
import { type LayoutReport, noLayoutReport } from "./layout.ts";
import type { DiffObject } from "./model.ts";
import { movedStateRefusals } from "./moved-state.ts";
import { orphanSections } from "./orphan-sections.ts";
import { moveChangesToParents, settleInitAndNoFentry } from "./redirect.ts";
import { collectReferences, includedFunctions } from "./references.ts";
import type { DiffOptions, DiffResult, FunctionDiff, Refusal, SymbolReference, Verdict } from "./types.ts";
import { referencingFunctions } from "./units.ts";

export function diffViews(
  origObj: DiffObject,
  patchedObj: DiffObject,
  options: DiffOptions = {},
  layout: LayoutReport = noLayoutReport(),
): DiffResult {
  // 0. Correlation: which patched symbol is which original one.
  const ctx = makeContext(origObj, patchedObj, options);
  const d = noDecisions();
  // 1. Functions, compared pairwise.
  const { compared, explainedBy } = compareFunctionPairs(ctx, d);
  // 2. Data: writable data must not change; changed constants travel with their users.
  const users = referencingFunctions(ctx.patched.funcs);
  const changedConsts = compareData(ctx, d, users);
  // 3. Child parts: a changed part that ftrace cannot redirect makes its parent change.
  moveChangesToParents(d);
  // 4. Refusals on changed functions themselves, and on changed code no function names.
  const carried = settleInitAndNoFentry(ctx, d, explainedBy, users);
  d.refused.push(...orphanSections(origObj, patchedObj, ctx.origSide, ctx.patchedSide));
  // 5. Inclusion: changed functions, their parts, and the new functions and data they reach.
  const included = includedFunctions(d, carried, ctx.markers);
  const refs = collectReferences(
    ctx.patched.funcBySym,
    ctx.corr.toOrig,
    included,
    d.isNew,
    changedConsts,
    ctx.patchedSpecial.byFunc,
  );
  // 5b. New writable data that replaces an object the running kernel holds state in.
  d.refused.push(...movedStateRefusals(ctx, refs));
  // 6. Result; the included functions' special-section entries must be able to travel.
  const functions = listFunctions(ctx, d, included);
  d.refused.push(...checkSpecialEntries(included, ctx.patchedSpecial, options));
  // 7. Layouts, enum values, variable types and prototypes, from the debug information.
  d.refused.push(...newRefusals(d.refused, layout.refusals));
  return result(ctx, d, functions, refs, compared, layout);
}

/** The layout stage's refusals, less those naming data the object diff already refused. */
function newRefusals(known: Refusal[], found: Refusal[]): Refusal[] {
  const refusedData = new Set(known.filter((r) => r.kind === "unsafe-data").map((r) => r.name));
  return found.filter((r) => r.kind !== "unsafe-data" || !refusedData.has(r.name));
}

/** The verdict: any refusal wins; otherwise a patch if any function is changed or new. */
function verdictOf(d: Decisions, functions: FunctionDiff[]): Verdict {
  const anyPatch = functions.some((f) => f.status === "changed" || f.status === "new");
  return d.refused.length > 0 ? "refused" : anyPatch ? "patchable" : "no-change";
}

function result(
  ctx: DiffContext,
  d: Decisions,
  functions: FunctionDiff[],
  references: SymbolReference[],
  compared: number,
  layout: LayoutReport,
): DiffResult {
  return {
    verdict: verdictOf(d, functions),
    functions,
    references,
    staticLocals: ctx.corr.staticLocals,
    ignored: d.ignored,
    refused: d.refused,
    warnings: [...ctx.corr.warnings, ...exportWarnings(ctx.origObj, ctx.patchedObj), ...layout.warnings],
    notes: layout.notes,
    layoutChanges: layout.changes,
    functionUses: layout.functionUses,
    stats: {
      origFunctions: ctx.orig.funcs.length,
      patchedFunctions: ctx.patched.funcs.length,
      compared,
      debugInfo: layout.debugInfo,
    },
  };
}
