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
  | "changed-interface"
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

/** One member of a struct or union as one build lays it out. */
export interface MemberLayout {
  /** Byte offset from the start of the struct (members of anonymous structs/unions included). */
  offset: number;
  /** For a bit-field: the bit inside the byte at `offset` where it starts, and its width. */
  bit?: number;
  bits?: number;
  /** Size in bytes of its type (absent for a flexible array). */
  size?: number;
  /** Its type as C spells it. */
  type: string;
}

/** A member whose place, size or type differs; `old` absent: added; `new` absent: removed. */
export interface MemberChange {
  member: string;
  old?: MemberLayout;
  new?: MemberLayout;
  /** The member's type has the same spelling but another layout (a struct it embeds changed). */
  layoutChanged?: boolean;
}

/** What a layout change is about. */
export type LayoutSubject = "struct" | "union" | "typedef" | "enum" | "variable" | "function";

/**
 * A difference the two builds' debug information shows in something the running kernel may
 * hold instances of (a type's layout, an enum constant's value, a variable's type) or that
 * code outside the patch relies on (a function's prototype).
 */
export interface LayoutChange {
  subject: LayoutSubject;
  /** "struct nf_queue_entry", "typedef access_mask_t", "enum pageflags", a variable or function name. */
  name: string;
  /** "refused": DiffResult.refused has a refusal for it; "note": DiffResult.notes tells why not. */
  verdict: "refused" | "note";
  /** The refusal's kind, when refused. */
  refusal?: "unsafe-data" | "changed-interface";
  /** The evidence in one line: "size 80 -> 88; member physin: offset 64 -> 72". */
  summary: string;
  /** Size in bytes in each build, when the subject has one. */
  size?: { old?: number; new?: number };
  /** The old and new spelling: a typedef's target, a variable's type, a function's prototype. */
  old?: string;
  new?: string;
  members?: MemberChange[];
  /** Enum constants whose value changed, as decimal text (a value may not fit a JSON number). */
  constants?: Array<{ name: string; old: string; new: string }>;
}

/** What an object does with functions beyond calling them (src/diff/address-uses.ts). */
export interface FunctionUses {
  /** Functions whose address it takes (in data, or loaded in code other than for a call). */
  addressTaken: string[];
  /** Functions it exports (EXPORT_SYMBOL*). */
  exported: string[];
}

/** How much of the debug information was compared (null: an object has none). */
export interface DebugInfoStats {
  types: number;
  constants: number;
  functions: number;
  variables: number;
}

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
  /** Differences that are safe, with the reason (an enum's count sentinel, a prototype whose
   * every caller the patch replaces). */
  notes: string[];
  /** What the debug information shows changed: layouts, enum values, variable types, prototypes. */
  layoutChanges: LayoutChange[];
  /** Which functions each object takes the address of or exports: what a caller needs to
   * decide `interfaceCallersPatched` across the units of a build. */
  functionUses: { orig: FunctionUses; patched: FunctionUses };
  /** Counts for the report; `debugInfo` is null when an object has no debug information. */
  stats: {
    origFunctions: number;
    patchedFunctions: number;
    compared: number;
    debugInfo: DebugInfoStats | null;
  };
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
  /**
   * Non-static functions whose prototype may change because the caller has checked, across
   * every unit of the build, that every caller of each is rebuilt in this patch, that no unit
   * takes its address and that none exports it. A changed prototype of one of these is a note;
   * of any other non-static function it is a "changed-interface" refusal (callers outside the
   * patch would call the new code with the old arguments). This unit's own evidence still
   * wins: a function it takes the address of or exports is refused anyway.
   */
  interfaceCallersPatched?: ReadonlySet<string>;
}
