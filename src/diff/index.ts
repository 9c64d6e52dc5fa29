// SPDX-License-Identifier: GPL-2.0-only
// The object differ's public API: diffObjects() on two ELF objects of one compilation unit
// (before and after a fix), and the DiffResult type the module generator consumes.
import type { ElfObject } from "../elf/index.ts";
import { diffViews } from "./diff.ts";
import { fromElf } from "./from-elf.ts";
import { compareLayouts } from "./layout.ts";
import type { DiffOptions, DiffResult } from "./types.ts";

export { functionUses } from "./address-uses.ts";
export { debugCatalogue } from "./debug-catalogue.ts";
export { diffViews } from "./diff.ts";
export { entrySizesFromEnv } from "./env.ts";
export { fromElf } from "./from-elf.ts";
export { sourceNameOf } from "./predicates.ts";
export type * from "./types.ts";

/** Compares two builds of one unit. Pure: same inputs, same result; never touches files. */
export function diffObjects(orig: ElfObject, patched: ElfObject, options: DiffOptions = {}): DiffResult {
  const views = { orig: fromElf(orig), patched: fromElf(patched) };
  const layout = compareLayouts(orig, patched, views, options);
  return diffViews(views.orig, views.patched, options, layout);
}

/**
 * The functions `diff` reports changed that are not changed in `oldLinesDiff`, the diff against
 * the same fixed source built with the old line numbers: they differ only in moved `__LINE__`s.
 * Pass the set back as `sameWithOldLineNumbers`.
 */
export function sameWithOldLineNumbers(diff: DiffResult, oldLinesDiff: DiffResult): Set<string> {
  const stillChanged = new Set(
    oldLinesDiff.functions.filter((f) => f.status === "changed" || f.status === "new").map((f) => f.name),
  );
  return new Set(
    diff.functions.filter((f) => f.status === "changed" && !stillChanged.has(f.name)).map((f) => f.name),
  );
}
