// SPDX-License-Identifier: GPL-2.0-only
// Stages 3 and 4 of diffViews: where each change is patched. ftrace redirects only whole
// functions that have a __fentry__ call, so a changed child part (.cold/.part.N) moves to its
// parent, a changed function without __fentry__ travels as a new copy whose callers are
// replaced, and changed __init/__exit code (it already ran) is ignored or refused.
import { sameCodeShape } from "./compare.ts";
import { addReason, type Decisions, type DiffContext } from "./context.ts";
import type { DSymbol } from "./model.ts";
import { planNoFentry } from "./no-fentry.ts";
import { isInitOrExitSection } from "./predicates.ts";
import { type FuncUnit, rootOf } from "./units.ts";
import { initCode, noFentry, noFentryUnreached } from "./verdicts.ts";

/** Child parts: a changed part that ftrace cannot redirect makes its parent change. */
export function moveChangesToParents(d: Decisions): void {
  for (const u of [...d.changed]) {
    if (!u.parent) continue;
    const root = rootOf(u);
    if (!u.hasFentry || d.changed.has(root)) {
      d.changed.delete(u);
      if (!d.isNew.has(root)) {
        d.changed.add(root);
        addReason(d, root, `its part ${u.sym.name} changed`);
      }
    }
  }
  for (const u of [...d.isNew])
    if (u.parent && !d.isNew.has(rootOf(u))) {
      // a new .cold/.part of an existing function only appears because the parent changed
      d.isNew.delete(u);
      const root = rootOf(u);
      if (!d.changed.has(root)) {
        d.changed.add(root);
        addReason(d, root, `has a new part ${u.sym.name}`);
      }
    }
}

/**
 * Refusals on changed functions themselves: __init/__exit code, and functions without
 * __fentry__ that cannot be carried as copies. Returns the carried copies (with why).
 */
export function settleInitAndNoFentry(
  ctx: DiffContext,
  d: Decisions,
  explainedBy: Map<FuncUnit, FuncUnit>,
  users: Map<DSymbol, FuncUnit[]>,
): Map<FuncUnit, string> {
  const noFentryChanged: FuncUnit[] = [];
  for (const u of [...d.changed]) {
    const ou = ctx.orig.funcBySym.get(ctx.corr.toOrig.get(u.sym) as DSymbol);
    const cause = explainedBy.get(u);
    if (isInitOrExitSection(u.sec.name) && cause && changesOnlyByInlining(d, u, cause, ou)) {
      // The init code is the same but for what it takes from an inlined copy of a function
      // the patch replaces (e.g. that function's changed message).
      d.changed.delete(u);
      d.ignored.push({
        name: u.sym.name,
        reason: `__init/__exit code changed only because it inlines ${cause.sym.name}, which the patch replaces; it already ran`,
      });
      continue;
    }
    if (isInitOrExitSection(u.sec.name)) d.refused.push(initCode(u.sym.name, u.sec.name));
    else if (ou && !ou.hasFentry) noFentryChanged.push(u);
  }
  return carryNoFentry(ctx, d, noFentryChanged, users);
}

/** `u` has its original's code shape and changed because it inlines `cause`, replaced anyway. */
function changesOnlyByInlining(
  d: Decisions,
  u: FuncUnit,
  cause: FuncUnit,
  ou: FuncUnit | undefined,
): boolean {
  return (
    d.changed.has(cause) && !isInitOrExitSection(cause.sec.name) && ou !== undefined && sameCodeShape(ou, u)
  );
}

/** A changed local function without __fentry__ travels as a new copy; its callers are replaced. */
function carryNoFentry(
  ctx: DiffContext,
  d: Decisions,
  noFentryChanged: FuncUnit[],
  users: Map<DSymbol, FuncUnit[]>,
): Map<FuncUnit, string> {
  const plan = planNoFentry(ctx.patchedObj, noFentryChanged, d.changed, users);
  for (const u of plan.refused) d.refused.push(noFentry(u.sym.name));
  for (const u of plan.unreached) d.refused.push(noFentryUnreached(u.sym.name));
  for (const u of plan.initOnly) {
    d.changed.delete(u);
    d.ignored.push({
      name: u.sym.name,
      reason: "changed, but only __init code calls it, and that already ran",
    });
  }
  for (const [u, why] of plan.carried) {
    d.changed.delete(u);
    d.isNew.add(u);
    d.reasons.set(u, [why]);
  }
  for (const [u, why] of plan.callers) {
    d.changed.add(u);
    addReason(d, u, why);
  }
  return plan.carried;
}
