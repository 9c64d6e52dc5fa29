// SPDX-License-Identifier: GPL-2.0-only
// The result of diffing one compilation unit built before and after a fix: what the module
// generator (src/klp) needs to build a livepatch, and what `hotpatch diff` reports.
// Everything is plain data (JSON-safe numbers and strings) so it can be printed with --json.

/** What happened to a function between the two objects. */
export type FunctionStatus = "changed" | "new" | "unchanged" | "removed";

/** One special-section entry that belongs to a function and must travel with it. */
export interface SpecialEntry {
  /** Special section name in the patched object, e.g. "__bug_table". */
  section: string;
  /** Byte offset of the entry inside that section of the patched object. */
  offset: number;
  /** Entry size in bytes (derived from the section, or from the *_STRUCT_SIZE environment). */
  size: number;
  /** The function the entry belongs to (patched name). */
  function: string;
}

/** A function of the patched object (or of the original, for "removed"). */
export interface FunctionDiff {
  /** Name in the patched object (the original's for removed functions). */
  name: string;
  /** Name of the twin in the original object when it differs (renumbered .isra.N, .part.N, ...). */
  origName?: string;
  status: FunctionStatus;
  /** Why: "code changed", "inlines accept_untracked_na", "uses changed constant x", "new function". */
  reasons: string[];
  /** Symbol table index in the patched object (in the original for removed functions). */
  symbolIndex: number;
  /** Section of the symbol in the patched object. */
  section: string;
  /** Child parts (.cold, .part.N) that go with this function, patched names. */
  children: string[];
  /** Parent function when this is a child part; children are never redirected on their own. */
  parent?: string;
  /** The function starts with a __fentry__ call, so ftrace (and livepatch) can redirect it. */
  hasFentry: boolean;
  /** Its entries of special sections (empty for unchanged/removed functions). */
  specialEntries: SpecialEntry[];
}

/**
 * How an included function reaches a symbol it references:
 * - included: the symbol is itself part of the patch (changed/new function, its child);
 * - local: a static function or variable of this unit that the running kernel already has:
 *   reference it with a klp relocation by its ORIGINAL name (the name kallsyms knows);
 * - global: a global symbol, by name (exported or not: the generator decides);
 * - new-data: new (or never-correlated special) writable data the patch must carry;
 * - new-rodata: read-only constants the patch must carry (string literals, .rodata.cst
 *   pools, new or changed const objects, switch tables).
 */
export type ReferenceKind = "included" | "local" | "global" | "new-data" | "new-rodata";

export interface SymbolReference {
  /** Name in the patched object (for sections without a symbol: the section name). */
  name: string;
  /** Name in the original object, i.e. in the running kernel; set for kind "local". */
  origName?: string;
  kind: ReferenceKind;
  /** "func", "object", "section", "notype". */
  type: string;
  /** Included functions that reference it. */
  usedBy: string[];
}

/** A static local variable matched across the objects: the patch uses the kernel's copy. */
export interface StaticLocalMatch {
  patched: string;
  orig: string;
}

/** A difference that is deliberately not a change (reason says why). */
export interface IgnoredChange {
  name: string;
  reason: string;
}

export type RefusalKind =
  | "unsafe-data"
  | "init-code"
  | "no-fentry"
  | "orphan-change"
  | "special-section"
  | "unsupported";

/** Something that cannot be live-patched as built; any refusal makes the verdict "refused". */
export interface Refusal {
  kind: RefusalKind;
  /** The symbol or section concerned. */
  name: string;
  reason: string;
  /** What a patch author can do instead (shadow variables, callbacks, ...). */
  suggestion?: string;
}

export type Verdict = "patchable" | "no-change" | "refused";

export interface DiffResult {
  verdict: Verdict;
  /** Every function of both objects that matters: changed, new, removed (unchanged are omitted). */
  functions: FunctionDiff[];
  /** Symbols referenced by the included functions, each with how to reach it. */
  references: SymbolReference[];
  staticLocals: StaticLocalMatch[];
  ignored: IgnoredChange[];
  refused: Refusal[];
  /** Things worth a look that do not block the patch (e.g. a static local assumed new). */
  warnings: string[];
  /** Counts for the report. */
  stats: { origFunctions: number; patchedFunctions: number; compared: number };
}

export interface DiffOptions {
  /**
   * Special-section entry sizes by section name, overriding detection
   * (kpatch's BUG_STRUCT_SIZE/JUMP_STRUCT_SIZE/... environment maps onto this).
   */
  entrySizes?: Record<string, number>;
  /**
   * Functions the source fix touched (e.g. from the diff's hunk headers); used only to
   * explain why a function changed ("inlines X"), never to decide whether it did.
   */
  sourceFunctions?: string[];
  /**
   * Where the unit is linked: "vmlinux" (default) or "module". In a module, jump labels and
   * static calls on keys the unit itself defines cannot be carried (the patch module would
   * initialise them before the klp relocations to the module are applied).
   */
  objectKind?: "vmlinux" | "module";
  /**
   * Functions (patched names) that are unchanged in a build of the fixed source that keeps the
   * old line numbers (`#line`, src/kernel/old-line-numbers.ts): their differences are only
   * `__LINE__` values the fix moved, whatever they are passed to (`hotpatch build` computes it).
   */
  sameWithOldLineNumbers?: ReadonlySet<string>;
}
