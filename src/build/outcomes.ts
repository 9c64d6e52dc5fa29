// SPDX-License-Identifier: GPL-2.0-only
// Each fix's verdict once the rounds have settled: refused and not-applied fixes as triage left
// them out; the others are "included" when a function of the module is there because of them,
// else "no-change". A function belongs to the fix that edits it (its hunks fall in it), or
// whose edited function it inlines; in a unit only one fix reaches, to that fix.
import { sourceNameOf } from "../diff/index.ts";
import { included } from "../klp/assemble.ts";
import type { CompiledUnitDiff } from "./diff-units.ts";
import type { Fix } from "./fixes.ts";
import type { LeftOut } from "./triage.ts";
import type { FixOutcome } from "./verdicts.ts";

/** The fixes a changed function belongs to, among those reaching its unit. */
function ownersOf(
  name: string,
  reasons: string[],
  unitFixes: string[],
  sourceFunctions: Map<string, string[]>,
): string[] {
  if (unitFixes.length === 1) return unitFixes;
  const base = sourceNameOf(name);
  const inlined = reasons.flatMap((r) => /^inlines (\S+)/.exec(r)?.[1] ?? []);
  const owners = unitFixes.filter((f) => {
    const edited = sourceFunctions.get(f) ?? [];
    return edited.includes(base) || inlined.some((i) => edited.includes(i));
  });
  return owners.length > 0 ? owners : unitFixes;
}

export function fixOutcomes(
  fixes: Fix[],
  diffs: CompiledUnitDiff[],
  leftOut: Map<string, LeftOut>,
  sourceFunctions: Map<string, string[]>,
): FixOutcome[] {
  const functions = new Map<string, string[]>(fixes.map((f) => [f.name, []]));
  for (const d of diffs) {
    for (const f of included(d.diff)) {
      if (f.parent) continue;
      for (const owner of ownersOf(f.name, f.reasons, d.unit.fixes, sourceFunctions)) {
        const list = functions.get(owner);
        if (list && !list.includes(f.name)) list.push(f.name);
      }
    }
  }
  return fixes.map((fix) => {
    const out = leftOut.get(fix.name);
    if (out)
      return { fix: fix.name, sha256: fix.sha256, verdict: out.verdict, reasons: out.reasons, functions: [] };
    const own = functions.get(fix.name) ?? [];
    return {
      fix: fix.name,
      sha256: fix.sha256,
      verdict: own.length > 0 ? "included" : "no-change",
      reasons: own.length > 0 ? [] : ["changes no function of the running kernel"],
      functions: own,
    };
  });
}
