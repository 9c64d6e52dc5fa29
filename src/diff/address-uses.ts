// SPDX-License-Identifier: GPL-2.0-only
// Which functions an object calls, and which it does more with: takes their address (stores
// it in data, such as an ops table or an initialiser, or loads it in code to pass as a
// callback) or exports them (EXPORT_SYMBOL). A function whose address is taken can be called
// from anywhere through a pointer, so its callers cannot be listed; an exported one can be
// called by any module. The no-fentry planner and the prototype check both ask this.
import { exportsOf } from "./exports.ts";
import type { DiffObject, DReloc, DSection, DSymbol } from "./model.ts";
import { isIgnoredSection, isText, STT_FUNC } from "./predicates.ts";
import { resolveTarget } from "./resolve.ts";
import type { FunctionUses } from "./types.ts";

/** Sections whose relocations point at functions without taking their address for a call:
 * metadata for ftrace, unwinding, code patching, exception fix-ups and printk. */
function isMetadata(name: string): boolean {
  return (
    isIgnoredSection(name) ||
    /^(__mcount_loc|__patchable_function_entries|__bug_table|__jump_table|__ex_table|\.orc_unwind(_ip)?|\.altinstructions|\.parainstructions|\.static_call_sites|\.retpoline_sites|\.return_sites|\.call_sites|\.smp_locks|\.ibt_endbr_seal|\.kcfi_traps|\.printk_index)/.test(
      name,
    )
  );
}

/** Metadata, and init/exit code and data (it ran at boot, or never runs for built-in code). */
function isBookkeeping(name: string): boolean {
  return isMetadata(name) || /^\.(init|exit)\./.test(name);
}

/** The export tables (`___ksymtab+name`, `__kcrctab+name`): exports, reported apart. */
function isExportTable(name: string): boolean {
  return /^_{2,3}k(symtab|crctab)/.test(name);
}

const R_X86_64_NONE = 0;
const R_X86_64_PC32 = 2;
const R_X86_64_PLT32 = 4;
const CALL_REL32 = 0xe8;
const JMP_REL32 = 0xe9;
const LEA = 0x8d;

/** A relocation in code that is the operand of a direct call, jump or conditional jump. */
export function isCallOperand(code: DSection, r: DReloc): boolean {
  if (r.type !== R_X86_64_PLT32 && r.type !== R_X86_64_PC32) return false;
  const op = code.data[r.offset - 1] ?? 0;
  const jcc = op >= 0x80 && op <= 0x8f && code.data[r.offset - 2] === 0x0f;
  return op === CALL_REL32 || op === JMP_REL32 || jcc;
}

/** A relocation in code that loads an address (`mov $sym,%reg`, `lea sym(%rip),%reg`), not a value. */
function loadsAddress(code: DSection, r: DReloc): boolean {
  if (r.type === R_X86_64_PC32) {
    // ModRM precedes the displacement; the opcode precedes the ModRM.
    return code.data[r.offset - 2] === LEA;
  }
  return r.type !== R_X86_64_PLT32;
}

/** Symbols defined in this object whose address is stored in data (ops tables, initialisers). */
export function storedInData(obj: DiffObject): Set<DSymbol> {
  const out = new Set<DSymbol>();
  for (const sec of obj.sections) {
    if (isText(sec) || isBookkeeping(sec.name)) continue;
    for (const r of sec.relocs) {
      const t = resolveTarget(sec, r);
      if (t.kind === "symbol") out.add(t.sym);
    }
  }
  return out;
}

function takenName(sec: DSection, r: DReloc): string | undefined {
  const t = resolveTarget(sec, r);
  if (t.kind === "external") return t.name;
  if (t.kind === "symbol" && t.sym.type === STT_FUNC) return t.sym.name;
  return undefined;
}

/**
 * Functions whose address the object takes: stored in data other than metadata sections
 * (__mcount_loc, ORC, alternatives, ...) and the export table, or loaded in code other than as
 * the operand of a call or jump. Init code counts: a callback registered at boot is still
 * called through the pointer the running kernel keeps. Undefined symbols are listed too (their
 * type is unknown here: a variable whose address is taken appears as well).
 */
export function functionUses(obj: DiffObject): FunctionUses {
  const taken = new Set<string>();
  for (const sec of obj.sections) {
    if (isMetadata(sec.name) || isExportTable(sec.name)) continue;
    const code = isText(sec);
    for (const r of sec.relocs) {
      // R_X86_64_NONE: a call objtool turned into a NOP (__fentry__).
      if (r.type === R_X86_64_NONE || (code && (isCallOperand(sec, r) || !loadsAddress(sec, r)))) continue;
      const name = takenName(sec, r);
      if (name !== undefined && name !== "") taken.add(name);
    }
  }
  return { addressTaken: [...taken].sort(), exported: [...exportsOf(obj)].sort() };
}
