// SPDX-License-Identifier: GPL-2.0-only
// Which special sections a patch object carries, per kernel family. A special section is a
// table of fixed-size entries pointing into functions; the patch carries exactly the entries of
// the functions it includes (src/klp/extract.ts). Which tables exist in a compiled unit, and so
// which ones the patch must carry, depends on where objtool runs (src/kernel/family.ts):
//
// - Every object (Debian's 6.1): a unit arrives with objtool's output (ORC, retpoline and
//   return sites, static call sites), and nothing processes the patch object after hotpatch
//   has cut it out, so the patch carries that output (filtered) like the compiler's tables.
// - vmlinux.o and module links only (6.12, IBT): a built-in unit has no objtool output at all;
//   a one-object module has it already (objtool ran on that object as the module's link). The
//   livepatch module's own link runs objtool over the patch objects and writes ORC, .return_sites,
//   .retpoline_sites, .call_sites, .static_call_sites and .ibt_endbr_seal for exactly the code
//   that is there (it skips a table the input already has, so the unit's copy must not come
//   along). Instead the patch carries objtool's inputs: the `.discard.*` annotations the kernel's
//   macros leave for it (reachable code after a noreturn call, retpoline-safe indirect branches,
//   unwind hints, ENDBR64 that must not be sealed, ...), or objtool would analyse the patch
//   differently from the running kernel. These are read by objtool and discarded by the
//   module's final link.
//
// Found in the objects (readelf -S of 6.12.107 units such as kernel/sched/core.o, af_unix.o,
// net/sctp/auth.o, and fs/fuse/cuse.o as a one-object module), not assumed.
import type { KernelFamily } from "../kernel/family.ts";
import { isDroppedSection, SPECIAL_ENTRY_SIZES } from "./special.ts";

export interface SectionTable {
  /** Entry size in bytes of each special section whose entries the patch carries. */
  entrySizes: Readonly<Record<string, number>>;
  /** Sections a patch never carries, whatever points into them (not worth a note either). */
  isDropped(name: string): boolean;
}

/** What objtool writes (tools/objtool: orc_gen.c, check.c create_*_sections). */
const OBJTOOL_OUTPUT = [
  ".orc_unwind",
  ".orc_unwind_ip",
  ".orc_header",
  ".return_sites",
  ".retpoline_sites",
  ".call_sites",
  ".static_call_sites",
  ".ibt_endbr_seal",
];

/**
 * What objtool reads besides the compiler's tables: `.discard.*` annotations (include/linux/
 * objtool.h, asm/nospec-branch.h, asm/ibt.h, asm/alternative.h, linux/instrumentation.h),
 * with their entry sizes: a 32-bit reference to an instruction, a pointer for
 * STACK_FRAME_NON_STANDARD, a struct unwind_hint (12 bytes) for unwind hints.
 */
const OBJTOOL_ANNOTATIONS: Readonly<Record<string, number>> = {
  ".discard.reachable": 4,
  ".discard.retpoline_safe": 4,
  ".discard.intra_function_calls": 4,
  ".discard.ignore_alts": 4,
  ".discard.noendbr": 4,
  ".discard.ibt_endbr_noseal": 4,
  ".discard.instr_begin": 4,
  ".discard.instr_end": 4,
  ".discard.validate_unret": 4,
  ".discard.unwind_hints": 12,
  ".discard.func_stack_frame_non_standard": 8,
};

/**
 * `__patchable_function_entries` (gcc's -fpatchable-function-entry, here only to make the 16
 * bytes of CONFIG_CALL_PADDING) points at each function's padding. x86 ftrace uses
 * __mcount_loc instead; vmlinux's linker script discards the table and no module loader code
 * reads it. Carrying it also breaks the link: gcc 12 ties the unit's whole table to its first
 * function section (SHF_LINK_ORDER), which the patch usually does not carry.
 */
const UNUSED_ON_X86 = ["__patchable_function_entries"];

/** Objtool ran on every object: the patch carries its output like the compiler's tables. */
const OBJTOOL_PER_OBJECT: SectionTable = {
  entrySizes: SPECIAL_ENTRY_SIZES,
  isDropped: isDroppedSection,
};

const OBJTOOL_AT_LINK: SectionTable = {
  entrySizes: {
    ...Object.fromEntries(
      Object.entries(SPECIAL_ENTRY_SIZES).filter(
        ([name]) => !OBJTOOL_OUTPUT.includes(name) && !UNUSED_ON_X86.includes(name),
      ),
    ),
    ...OBJTOOL_ANNOTATIONS,
  },
  isDropped: (name) =>
    OBJTOOL_ANNOTATIONS[name] === undefined &&
    (isDroppedSection(name) || OBJTOOL_OUTPUT.includes(name) || UNUSED_ON_X86.includes(name)),
};

/** The special sections a patch object for a kernel of `family` carries. */
export function sectionTableFor(family: Pick<KernelFamily, "delayedObjtool">): SectionTable {
  return family.delayedObjtool ? OBJTOOL_AT_LINK : OBJTOOL_PER_OBJECT;
}

/** The table of kernels whose objtool runs on every object (Debian's 6.1), the default. */
export const PER_OBJECT_SECTION_TABLE = OBJTOOL_PER_OBJECT;
