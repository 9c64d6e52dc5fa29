// SPDX-License-Identifier: GPL-2.0-only
// Changed functions that ftrace cannot redirect (no __fentry__ call) but that can still be
// patched: a local function whose every caller is in this unit and can be redirected. Typical
// cases are out-of-line copies of header inlines (the kernel's `inline` implies `notrace`) and
// a SYSCALL_DEFINE's `static inline __do_sys_X`, called only by its `__x64_sys_X` wrappers.
// The patch carries a new copy of such a function and replaces its callers, which then call
// the copy; the running kernel's copy is left alone.
import { isCallOperand, storedInData } from "./address-uses.ts";
import type { DiffObject, DSymbol } from "./model.ts";
import { isInitOrExitSection, STB_LOCAL } from "./predicates.ts";
import { resolveTarget } from "./resolve.ts";
import { type FuncUnit, rootOf } from "./units.ts";

export interface NoFentryPlan {
  /** no-fentry functions the patch carries as new copies (with the reason) */
  carried: Map<FuncUnit, string>;
  /** callers to replace so they call the copy (with the reason) */
  callers: Map<FuncUnit, string>;
  /** functions that cannot be handled this way (refuse them) */
  refused: FuncUnit[];
  /** carried copies that no redirected function would ever call (refuse them: the fix would
   * silently not apply, e.g. a chain of noinstr code entered from assembly) */
  unreached: FuncUnit[];
  /** changed functions only __init code calls: that code already ran, so they never run again */
  initOnly: FuncUnit[];
}

/** Whether every reference of `caller` to `sym` is a direct call or (conditional) tail call. */
function onlyCalls(caller: FuncUnit, sym: DSymbol): boolean {
  for (const r of caller.relocs) {
    const t = resolveTarget(caller.sec, r);
    if (t.kind === "symbol" && t.sym === sym && !isCallOperand(caller.sec, r)) return false;
  }
  return true;
}

/**
 * Plans how to patch `noFentry` (changed functions without __fentry__, patched side) given
 * every function of the patched object, those already changed, and the `users` map (symbol ->
 * functions whose code references it).
 */
export function planNoFentry(
  patchedObj: DiffObject,
  noFentry: FuncUnit[],
  changed: Set<FuncUnit>,
  users: Map<DSymbol, FuncUnit[]>,
): NoFentryPlan {
  const plan: NoFentryPlan = {
    carried: new Map(),
    callers: new Map(),
    refused: [],
    unreached: [],
    initOnly: [],
  };
  const taken = storedInData(patchedObj);
  const queue = [...noFentry];
  const seen = new Set<FuncUnit>(queue);
  /** For each carried copy, the callers (roots) that will call it: redirected or carried. */
  const callersOf = new Map<FuncUnit, FuncUnit[]>();
  const calledFromInit = new Set<FuncUnit>();
  for (let i = 0; i < queue.length; i++) {
    const u = queue[i] as FuncUnit;
    if (u.sym.bind !== STB_LOCAL || taken.has(u.sym)) {
      plan.refused.push(u);
      continue;
    }
    plan.carried.set(
      u,
      `changed; ftrace cannot redirect it (no __fentry__), so the patch carries a new copy and replaces its callers`,
    );
    const callers: FuncUnit[] = [];
    callersOf.set(u, callers);
    for (const caller of users.get(u.sym) ?? []) {
      const root = rootOf(caller);
      if (root === u) continue;
      // Code that takes its address (a callback handed to a timer or work item) would leave
      // the running kernel's objects pointing at the old copy.
      if (!onlyCalls(caller, u.sym)) {
        plan.refused.push(u);
        continue;
      }
      // Init code already ran and is gone: it will not call the old copy again.
      if (isInitOrExitSection(root.sec.name) && root.sec.name.startsWith(".init")) {
        calledFromInit.add(u);
        continue;
      }
      callers.push(root);
      if (seen.has(root)) continue;
      seen.add(root);
      if (isInitOrExitSection(root.sec.name)) plan.refused.push(u);
      else if (!root.hasFentry) queue.push(root);
      else if (!changed.has(root))
        plan.callers.set(root, `calls ${u.sym.name}, which the patch carries as a new copy`);
    }
  }
  settleReachability(plan, callersOf, calledFromInit);
  // A refused function's plan is void: its callers need not be replaced for it.
  plan.refused = [...new Set(plan.refused)];
  if (plan.refused.length + plan.unreached.length > 0) {
    plan.carried.clear();
    plan.callers.clear();
  }
  return plan;
}

/**
 * Every carried copy must be called by a function the patch redirects (one with __fentry__),
 * directly or through other carried copies; otherwise nothing ever runs it and the fix is
 * silently not applied. Copies that only __init code called are left alone instead.
 */
function settleReachability(
  plan: NoFentryPlan,
  callersOf: Map<FuncUnit, FuncUnit[]>,
  calledFromInit: Set<FuncUnit>,
): void {
  const reached = new Set<FuncUnit>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const [u, callers] of callersOf) {
      if (reached.has(u)) continue;
      if (callers.some((r) => (r.hasFentry && !plan.carried.has(r)) || reached.has(r))) {
        reached.add(u);
        grew = true;
      }
    }
  }
  const refused = new Set(plan.refused);
  for (const u of plan.carried.keys()) {
    if (reached.has(u) || refused.has(u)) continue;
    const everCalled = (callersOf.get(u) ?? []).length > 0;
    if (!everCalled && calledFromInit.has(u)) plan.initOnly.push(u);
    else plan.unreached.push(u);
  }
  for (const u of [...plan.unreached, ...plan.initOnly]) plan.carried.delete(u);
}
