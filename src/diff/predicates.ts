// SPDX-License-Identifier: GPL-2.0-only
// Small named predicates about symbols and sections, each documenting one compiler or kernel
// convention. Correlation and comparison are written as funnels of these checks.
import type { DSection, DSymbol } from "./model.ts";

const SHF_WRITE = 0x1;
const SHF_EXECINSTR = 0x4;
const SHF_MERGE = 0x10;
const SHF_STRINGS = 0x20;
export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;
export const STB_LOCAL = 0;
export const SHT_NOBITS = 8;
export const SHT_RELA = 4;
export const SHT_GROUP = 17;

export function isText(sec: DSection | undefined): boolean {
  return sec !== undefined && (sec.flags & SHF_EXECINSTR) !== 0;
}

export function isWritable(sec: DSection | undefined): boolean {
  return sec !== undefined && (sec.flags & SHF_WRITE) !== 0;
}

/** Mergeable string literal sections (.rodata.str1.1, .rodata.<func>.str1.8): compared by content. */
export function isStringSection(sec: DSection | undefined): boolean {
  return sec !== undefined && (sec.flags & SHF_STRINGS) !== 0;
}

/** Mergeable constant pools (.rodata.cst16, .rodata.cst8): compared by content. */
export function isConstantPool(sec: DSection | undefined): boolean {
  return sec !== undefined && (sec.flags & SHF_MERGE) !== 0 && (sec.flags & SHF_STRINGS) === 0;
}

/** `__init`/`__exit` code and data: it already ran (or is discarded) in the running kernel. */
export function isInitOrExitSection(name: string): boolean {
  return /^\.(init|exit)\.[a-z]/.test(name);
}

/** GCC's local labels for anonymous constants. */
export function isLocalLabel(sym: DSymbol): boolean {
  return sym.name.startsWith(".L");
}

/** `__pfx_foo` padding symbols in front of functions (CONFIG_CALL_PADDING): never a function of their own. */
export function isPrefixSymbol(sym: DSymbol): boolean {
  return sym.name.startsWith("__pfx_") || sym.name.startsWith("__cfi_");
}

/** Child parts GCC splits out of a function: `foo.cold`, `foo.cold.12`, `foo.part.3`. Returns the parent name. */
export function childParentName(name: string): string | undefined {
  const cold = name.indexOf(".cold");
  if (cold > 0) return name.slice(0, cold);
  const part = name.indexOf(".part.");
  if (part > 0) return name.slice(0, part);
  return undefined;
}

/**
 * Compiler-made numeric suffixes removed: `foo.isra.3` -> `foo.isra`, `x.123` -> `x`,
 * `foo.constprop.0.cold` -> `foo.constprop.cold`, `f.llvm.9876` -> `f.llvm`; `__UNIQUE_ID_x123`
 * -> `__UNIQUE_ID_x`. Two symbols with the same stripped name are candidate twins.
 */
export function stripNumbers(name: string): string {
  let out = name.replace(/\.\d+(?=\.|$)/g, "");
  if (out.includes("__UNIQUE_ID_")) out = out.replace(/(__UNIQUE_ID_[A-Za-z_]*?)\d+/g, "$1");
  // BTF_ID()'s symbols end in __COUNTER__ and __LINE__ (include/linux/btf_ids.h), so a fix that
  // moves lines renames them: `__BTF_ID__struct__bpf_array__765786` (found in the 6.12 sweep).
  if (out.startsWith("__BTF_ID__")) out = out.replace(/__\d+$/, "");
  return out;
}

/** A name with a numeric suffix the compiler made up (static locals, clones). */
export function hasNumberSuffix(name: string): boolean {
  return /\.\d+$/.test(name);
}

const specialStaticNames = [
  "__key",
  "__warned",
  "__already_done",
  "__func__",
  "__FUNCTION__",
  "_rs",
  "CSWTCH",
  "_entry",
  "__print_once",
  "__done",
];

/**
 * Static locals the kernel's macros create per call site (lockdep keys, WARN_ONCE flags,
 * __func__ strings, ratelimit states, switch tables, printk index entries, dynamic debug
 * descriptors). They are never correlated: an included function gets a fresh copy.
 */
export function isSpecialStatic(sym: DSymbol): boolean {
  if (sym.type !== STT_OBJECT || sym.bind !== STB_LOCAL) return false;
  sym.special ??= computeSpecialStatic(sym);
  return sym.special;
}

function computeSpecialStatic(sym: DSymbol): boolean {
  const secName = sym.section?.name ?? "";
  if (
    secName === "__verbose" ||
    secName === "__dyndbg" ||
    secName === ".data.once" ||
    secName === ".data..once"
  )
    return true;
  if (secName.startsWith(".data..L__unnamed_") || secName.startsWith(".data.__unnamed_")) return true;
  if (sym.name.startsWith("__UNIQUE_ID_ddebug") || sym.name.includes(".__UNIQUE_ID_ddebug")) return true;
  for (const base of specialStaticNames) {
    if (sym.name === base || sym.name.startsWith(`${base}.`)) return true;
    if (sym.name.includes(`.${base}.`) || sym.name.endsWith(`.${base}`)) return true; // clang: func.var
  }
  return false;
}

/**
 * Anonymous sections that only hold per-call-site flags (WARN_ONCE's `__warned`, printk_once's
 * `__print_once`, dynamic debug descriptors): they never make a function change and an
 * included function gets fresh copies.
 */
export function isPerSiteDataSection(name: string): boolean {
  if (
    name.startsWith(".data..Lubsan") ||
    name.startsWith(".data..L__unnamed_") ||
    name.startsWith(".data.__unnamed_")
  )
    return true;
  return (
    name === ".data.once" ||
    name === ".data..once" ||
    name === ".data.unlikely" ||
    name === ".data..unlikely" ||
    name === "__verbose" ||
    name === "__dyndbg"
  );
}

/** A static local variable whose name GCC numbered (`count.3`), other than the special ones. */
export function isNumberedStaticLocal(sym: DSymbol): boolean {
  return (
    sym.type === STT_OBJECT &&
    sym.bind === STB_LOCAL &&
    !isLocalLabel(sym) &&
    sym.name.includes(".") &&
    !isSpecialStatic(sym)
  );
}

/** Sections whose differences never matter for a live patch. */
export function isIgnoredSection(name: string): boolean {
  return (
    name === "" ||
    name === ".symtab" ||
    name === ".strtab" ||
    name === ".shstrtab" ||
    name === ".comment" ||
    name === ".modinfo" ||
    name.startsWith(".note") ||
    name.startsWith(".debug") ||
    name.startsWith(".rela.debug") ||
    name.startsWith(".discard") ||
    name.startsWith(".llvm") ||
    name.startsWith(".eh_frame") ||
    name.startsWith(".BTF") ||
    name === ".gnu.linkonce.this_module"
  );
}

const EXT4_LINE_CALLEES = new Set([
  "__ext4_error",
  "__ext4_error_inode",
  "__ext4_error_file",
  "__ext4_std_error",
  "__ext4_warning",
  "__ext4_warning_inode",
  "__ext4_grp_locked_error",
  "__ext4_journal_get_write_access",
  "__ext4_journal_get_create_access",
  "__ext4_handle_dirty_metadata",
  "__ext4_forget",
  "__ext4_journal_start_sb",
  "__ext4_journal_start_reserved",
  "__ext4_journal_stop",
]);

/** Calls that take a `__LINE__` argument: a change of only that immediate is not a change. */
export function isLineMacroCallee(name: string): boolean {
  return (
    name === "__warn_printk" ||
    name.startsWith("warn_slowpath_") ||
    name === "__might_sleep" ||
    name === "___might_sleep" ||
    name === "__might_fault" ||
    name === "__might_resched" ||
    name === "printk" ||
    name === "_printk" ||
    name === "lockdep_rcu_suspicious" ||
    name === "__btrfs_abort_transaction" ||
    name === "__btrfs_handle_fs_error" ||
    name === "__btrfs_panic" ||
    // ext4's error and journal helpers take __LINE__ as their 2nd or 3rd argument.
    EXT4_LINE_CALLEES.has(name) ||
    name === "__WARN_printf" ||
    name === "rcu_read_lock_held"
  );
}

/** The C function a compiler-made symbol comes from: `foo.isra.0`, `foo.cold`, `foo.part.1` -> `foo`. */
export function sourceNameOf(symbolName: string): string {
  return symbolName.replace(/\.(isra|constprop|part|cold|llvm)(\..*)?$/, "");
}
