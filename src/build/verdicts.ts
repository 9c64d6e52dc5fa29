// SPDX-License-Identifier: GPL-2.0-only
// What a build decides, per refusal and per fix. A refusal is found in a unit (or a touched
// file) and belongs to the fixes that reach it; triage.ts finds which one. Every fix of a
// build ends with one verdict: included in the module, refused (with the reasons), no change
// to any function, or not applied (it does not apply or compile, often because a fix it
// depends on was refused).
import { ExitCode, UserError } from "../errors/user-error.ts";

/** One reason a unit, or a touched file, cannot be live-patched. */
export interface UnitRefusal {
  unit: { source: string; fixes: string[] };
  /** The symbol, section or file concerned. */
  name: string;
  kind: string;
  reason: string;
  suggestion?: string;
  /** `file:line` of the symbol's definition, when found. */
  where?: string;
}

/** A refusal as reported (text and --json). */
export interface BuildRefusalItem {
  unit: string;
  where?: string;
  name: string;
  kind: string;
  reason: string;
  suggestion?: string;
  /** The fixes it was attributed to. */
  fixes: string[];
}

export function reportedRefusal(r: UnitRefusal, fixes: string[]): BuildRefusalItem {
  return {
    unit: r.unit.source,
    ...(r.where ? { where: r.where } : {}),
    name: r.name,
    kind: r.kind,
    reason: r.reason,
    ...(r.suggestion ? { suggestion: r.suggestion } : {}),
    fixes,
  };
}

export type FixVerdict = "included" | "refused" | "no-change" | "not-applied";

export interface FixOutcome {
  fix: string;
  sha256: string;
  verdict: FixVerdict;
  /** Why it was refused or not applied (one sentence each). */
  reasons: string[];
  /** Functions of the module that are there because of this fix. */
  functions: string[];
}

/** A build stopped by refusals: exit code 2, one line per refusal. */
export class BuildRefusedError extends UserError {
  constructor(
    readonly refusals: BuildRefusalItem[],
    readonly fixes: FixOutcome[] = [],
  ) {
    super(
      refusedSummary(fixes, refusals.length),
      refusals.map(
        (r) =>
          `${r.where ?? r.unit}: ${r.name}: ${r.kind}: ${r.reason}${r.suggestion ? ` (${r.suggestion})` : ""}`,
      ),
      ExitCode.REFUSED,
    );
  }
}

/** The first sentence of a refused build: how many fixes are out of how many. */
function refusedSummary(fixes: FixOutcome[], refusalCount: number): string {
  const count = `${refusalCount} refusal${refusalCount === 1 ? "" : "s"}`;
  if (fixes.length <= 1) return `The fix cannot be live-patched safely (${count}).`;
  const leftOut = fixes.filter((f) => f.verdict === "refused" || f.verdict === "not-applied").length;
  if (leftOut === fixes.length) return `No fix of the ${fixes.length} can be live-patched safely (${count}).`;
  // Only --strict stops a build in which some fixes could go in.
  return `${leftOut} of the ${fixes.length} fixes cannot be live-patched safely and --strict forbids leaving one out (${count}).`;
}
