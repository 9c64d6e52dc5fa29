// SPDX-License-Identifier: GPL-2.0-only
// A non-static function whose prototype a fix changes (a new parameter) can be live-patched
// only when every caller changes with it: livepatch redirects the old function to the new
// code, so a caller left out would call it with the old arguments. That holds when the
// prototype's change is in a header the build planned completely (every unit that can see it
// was compiled, src/build/header-plan.ts), no unit of the build takes the function's address
// (a pointer stored before the patch would be called the old way), and neither the unit nor
// the running kernel exports it (modules built outside this tree call it too). The differ
// refuses every other prototype change ("changed-interface").
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DiffResult } from "../diff/index.ts";
import { changedLines } from "../kernel/hunks.ts";
import type { Symvers } from "../kernel/symvers.ts";

/** The text of the lines the fixes change in `header`, both sides (old from the tree). */
function changedText(tree: string, viewDir: string, fixText: string, header: string): string {
  const lines = changedLines(fixText, header);
  const read = (root: string) => {
    try {
      return readFileSync(join(root, header), "latin1").split("\n");
    } catch {
      return [];
    }
  };
  const [old, fixed] = [read(tree), read(viewDir)];
  return [...lines.old.map((n) => old[n - 1] ?? ""), ...lines.new.map((n) => fixed[n - 1] ?? "")].join("\n");
}

export interface InterfaceEvidence {
  tree: string;
  viewDir: string;
  fixText: string;
  completeHeaders: string[];
  symvers: Symvers;
}

/**
 * The functions whose changed prototypes every caller follows, given the first diffs of all
 * units of the build (their `changed-interface` refusals name the candidates).
 */
export function callersPatched(diffs: DiffResult[], evidence: InterfaceEvidence): Set<string> {
  const candidates = new Set(
    diffs.flatMap((d) => d.refused.filter((r) => r.kind === "changed-interface").map((r) => r.name)),
  );
  const result = new Set<string>();
  if (candidates.size === 0) return result;
  const declared = evidence.completeHeaders
    .map((h) => changedText(evidence.tree, evidence.viewDir, evidence.fixText, h))
    .join("\n");
  const pointedOrExported = new Set(
    diffs.flatMap((d) => [
      ...d.functionUses.orig.addressTaken,
      ...d.functionUses.patched.addressTaken,
      ...d.functionUses.orig.exported,
      ...d.functionUses.patched.exported,
    ]),
  );
  for (const name of candidates) {
    if (!new RegExp(`\\b${name}\\b`).test(declared)) continue;
    if (pointedOrExported.has(name) || evidence.symvers.lookup(name)) continue;
    result.add(name);
  }
  return result;
}
