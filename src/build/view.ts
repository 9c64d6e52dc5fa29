// SPDX-License-Identifier: GPL-2.0-only
// One scratch view of the target's tree with the fixes applied in order (src/kernel/fix.ts
// makes the view; the cached tree is never written). A fix that does not apply is left out
// with the reason; when a fix left out earlier touches the same files, that is the likely
// reason and it is said so ("depends on refused fix X").
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { UserError } from "../errors/user-error.ts";
import { applyFix, createScratchView } from "../kernel/fix.ts";
import { HELPERS_HEADER, helpersHeaderPath } from "../klp/helpers-header.ts";
import type { Fix } from "./fixes.ts";

export interface SeriesView {
  dir: string;
  /** The fixes applied, in order. */
  applied: Fix[];
  /** Fixes that did not apply, with the reason (one sentence). */
  notApplied: Map<string, string>;
}

/** Makes include/hotpatch/klp-helpers.h available in the view when a fix includes it. */
function provideHelpersHeader(view: string, fixes: Fix[]): void {
  const source = helpersHeaderPath();
  if (!source || !fixes.some((f) => f.text.includes("hotpatch/klp-helpers.h"))) return;
  if (fixes.some((f) => f.touched.some((t) => t.path === HELPERS_HEADER))) return;
  mkdirSync(dirname(join(view, HELPERS_HEADER)), { recursive: true });
  copyFileSync(source, join(view, HELPERS_HEADER));
}

/** The earlier fixes left out that touch a file `fix` touches. */
function leftOutNeighbours(fix: Fix, earlier: Fix[], leftOut: Map<string, string>): string[] {
  const files = new Set(fix.touched.map((t) => t.path));
  return earlier
    .filter((e) => leftOut.has(e.name) && e.touched.some((t) => files.has(t.path)))
    .map((e) => e.name);
}

/**
 * Creates `dir` and applies `fixes` there in order, skipping those in `excluded` (fix name ->
 * why). With `strictApply` (a single fix), a fix that does not apply is a UserError.
 */
export async function applySeries(
  tree: string,
  dir: string,
  fixes: Fix[],
  excluded: ReadonlyMap<string, string>,
  options: { logFile?: string; strictApply: boolean },
): Promise<SeriesView> {
  const paths = [...new Set(fixes.flatMap((f) => f.touched.map((t) => t.path)))];
  const wantsHelpers = fixes.some((f) => f.text.includes("hotpatch/klp-helpers.h"));
  createScratchView(tree, dir, wantsHelpers ? [...paths, HELPERS_HEADER] : paths);
  provideHelpersHeader(dir, fixes);
  const view: SeriesView = { dir, applied: [], notApplied: new Map() };
  const leftOut = new Map(excluded);
  for (const [i, fix] of fixes.entries()) {
    if (excluded.has(fix.name)) continue;
    try {
      await applyFix(dir, fix.path, options.logFile);
      view.applied.push(fix);
    } catch (error) {
      if (!(error instanceof UserError) || options.strictApply) throw error;
      const blockers = leftOutNeighbours(fix, fixes.slice(0, i), leftOut);
      const reason =
        blockers.length > 0
          ? `depends on refused fix ${blockers.join(", ")}: ${error.message}`
          : error.message;
      view.notApplied.set(fix.name, reason);
      leftOut.set(fix.name, reason);
    }
  }
  return view;
}
