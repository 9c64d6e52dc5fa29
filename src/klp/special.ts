// SPDX-License-Identifier: GPL-2.0-only
// Special sections of Linux 6.1 x86_64 objects: tables whose fixed-size entries point into
// functions (bug table, jump labels, exception table, alternatives, ORC, ...). A patch module
// must carry exactly the entries of the functions it includes; entries of other functions
// would point at code that is not in the module. Sizes are those of the 6.1 structures.

/** Entry size in bytes per special section name, for sections whose entries we carry. */
export const SPECIAL_ENTRY_SIZES: Readonly<Record<string, number>> = {
  /** struct bug_entry with relative pointers: bug_addr_disp, file_disp, line, flags. */
  __bug_table: 12,
  /** struct jump_entry: code, target (s32 each), key (s64). */
  __jump_table: 16,
  /** struct exception_table_entry: insn, fixup, data. */
  __ex_table: 12,
  /** struct alt_instr: instr_offset, repl_offset, cpuid (u16), instrlen, replacementlen (6.1);
   * 6.12's is 14 bytes (a u32 of cpuid and flags): see ENTRY_SIZE_CANDIDATES. */
  ".altinstructions": 12,
  /** struct static_call_site: addr, key. */
  ".static_call_sites": 8,
  ".retpoline_sites": 4,
  ".return_sites": 4,
  ".call_sites": 4,
  ".ibt_endbr_seal": 4,
  ".smp_locks": 4,
  /** struct paravirt_patch_site: instr pointer, type, len (padded). */
  ".parainstructions": 16,
  ".orc_unwind_ip": 4,
  __mcount_loc: 8,
  __patchable_function_entries: 8,
};

/**
 * Tables whose entry size differs between the kernels hotpatch targets: the size is read from
 * the object (the one that splits the section into entries with their relocations at the same
 * offsets) rather than assumed. struct alt_instr is 12 bytes in 6.1 and 14 in 6.12
 * (arch/x86/include/asm/alternative.h: `u32 cpuid:16, flags:16` replaced `u16 cpuid`); in both,
 * repl_offset is at +4 and replacementlen is the entry's last byte.
 */
export const ENTRY_SIZE_CANDIDATES: Readonly<Record<string, readonly number[]>> = {
  ".altinstructions": [12, 14],
};

/** `.orc_unwind` runs in parallel with `.orc_unwind_ip`: entry i of one is entry i of the other. */
export const ORC_UNWIND_ENTRY = 6;

/** Sections a patch never carries: exports, init/exit code, module metadata, debug info, notes. */
export function isDroppedSection(name: string): boolean {
  return (
    name.startsWith(".debug") ||
    name.startsWith(".discard") ||
    name.startsWith("__ksymtab") ||
    name.startsWith("___ksymtab") ||
    name.startsWith("__kcrctab") ||
    name.startsWith(".init") ||
    name.startsWith(".exit") ||
    name.startsWith(".initcall") ||
    name.startsWith(".note") ||
    name.startsWith(".BTF") ||
    name === ".comment" ||
    name === ".modinfo" ||
    name === "__param" ||
    name === "__modver" ||
    name === ".printk_index" ||
    name === ".gnu.linkonce.this_module"
  );
}

/** Symbols the compiler creates per use site: the patch gets its own copy rather than the
 * running kernel's (they hold no state that matters across the switch, or none at all). */
const FRESH_STATICS = [
  /^__func__(\.\d+)?$/,
  /^__warned(\.\d+)?$/,
  /^__already_done(\.\d+)?$/,
  /^__key(\.\d+)?$/,
  /^_rs(\.\d+)?$/,
  /^CSWTCH(\.\d+)?$/,
  /^__UNIQUE_ID_/,
  /^\.L/,
  /^__print_once(\.\d+)?$/,
  /^___done(\.\d+)?$/,
  /^__msg(\.\d+)?$/,
  /^descriptor(\.\d+)?$/,
  /^__compound_literal(\.\d+)?$/,
];

export function isFreshStatic(name: string): boolean {
  return FRESH_STATICS.some((re) => re.test(name));
}
