// SPDX-License-Identifier: GPL-2.0-only
// The object differ's public API: diffObjects() on two ELF objects of one compilation unit
// (before and after a fix), and the DiffResult type the module generator consumes.
import type { ElfObject } from "../elf/index.ts";
import { diffViews } from "./diff.ts";
import { fromElf } from "./from-elf.ts";
import type { DiffOptions, DiffResult } from "./types.ts";

export { diffViews } from "./diff.ts";
export { entrySizesFromEnv } from "./env.ts";
export { fromElf } from "./from-elf.ts";
export type * from "./types.ts";

/** Compares two builds of one unit. Pure: same inputs, same result; never touches files. */
export function diffObjects(orig: ElfObject, patched: ElfObject, options: DiffOptions = {}): DiffResult {
  return diffViews(fromElf(orig), fromElf(patched), options);
}
