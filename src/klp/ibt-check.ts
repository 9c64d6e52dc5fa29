// SPDX-License-Identifier: GPL-2.0-only
// IBT, proven on the module's code rather than in a VM. On a kernel built with
// CONFIG_X86_KERNEL_IBT, an indirect call or jump must land on an ENDBR64 instruction, or the
// CPU raises #CP and the kernel oopses. QEMU's TCG does not emulate CET, so `hotpatch verify`
// cannot see a violation: this check reads the linked livepatch module instead and refuses it
// when a function that can be reached through a pointer does not start with ENDBR64, or starts
// with one the loader will seal (objtool lists the ENDBRs of functions whose address is never
// taken in `.ibt_endbr_seal`, and the loader overwrites them with a NOP: apply_seal_endbr).
//
// "Reached through a pointer" means: some relocation in the module takes the function's
// address instead of branching to it. That covers
// - the patch's own functions: data tables it carries (an ops structure of new code), code
//   that stores a callback (`lea fn(%rip)`), the livepatch callbacks the klp core calls, and
//   module_init/exit;
// - the running kernel's functions the patch takes the address of (through a klp relocation
//   or an export): those must start with ENDBR64 and must not be in vmlinux's (or the
//   patched module's) seal list, since the running kernel sealed them at boot.
// Not counted: direct calls and jumps (`call`/`jmp`/`jcc rel32`), tables that only point at
// instructions (ORC, return/retpoline/call sites, jump labels, exception and bug tables,
// alternatives, mcount locations, ...), and klp_func.new_func: the livepatch core never calls
// it; ftrace's handler stores it as the return address of its trampoline, which then *returns*
// into the new function (arch/x86/kernel/ftrace_64.S, ftrace_regs_caller), and IBT does not
// check returns.
import {
  type ElfObject,
  type ElfSymbol,
  R_X86_64,
  type Relocation,
  type Section,
  SHF,
  SHN,
  SHT,
  STT,
} from "../elf/index.ts";

/** ENDBR64: f3 0f 1e fa. */
const ENDBR64 = [0xf3, 0x0f, 0x1e, 0xfa];

/** True when the 4 bytes at `at` are ENDBR64. */
export function startsWithEndbr(bytes: Uint8Array, at: number): boolean {
  return ENDBR64.every((b, i) => bytes[at + i] === b);
}

/** A function of the running kernel the module refers to by name. */
export interface RunningFunctionRef {
  /** "vmlinux" or a module name. */
  objName: string;
  name: string;
  /** 0 for a unique (or exported) name. */
  sympos: number;
}

/** What the check needs to know about the running kernel's functions. */
export interface RunningFunctions {
  /** ENDBR64 and seal state of a running function, or undefined when `ref` names no function
   * (data, a symbol this kernel does not have). */
  entry(ref: RunningFunctionRef): { endbr: boolean; sealed: boolean } | undefined;
}

export interface IbtViolation {
  /** The function, as `name` (the module's) or `object:name,sympos` (the running kernel's). */
  function: string;
  /** Where its address is taken: `section+0xoffset`. */
  takenAt: string;
  problem: "no-endbr" | "sealed";
}

/** Sections whose entries point at instructions; nothing branches through them. */
const INSTRUCTION_TABLES = new Set([
  "__mcount_loc",
  "__patchable_function_entries",
  ".orc_unwind_ip",
  ".return_sites",
  ".retpoline_sites",
  ".call_sites",
  ".ibt_endbr_seal",
  ".cfi_sites",
  "__jump_table",
  "__ex_table",
  "__bug_table",
  ".altinstructions",
  ".static_call_sites",
  ".smp_locks",
  ".parainstructions",
  "__kprobe_blacklist",
  "_kprobe_blacklist",
]);

/** The stub's names for the redirected functions' new copies (klp_func.new_func). */
const REDIRECT_ALIAS = /^__hotpatch_u\d+_f\d+$/;
const KLP_SYM = /^\.klp\.sym\.([^.]+)\.([^,]+),(\d+)$/;

const PC_RELATIVE = new Set<number>([R_X86_64.PC32, R_X86_64.PLT32]);

/** True when the relocation is the displacement of a direct call, jmp or jcc. */
function isDirectBranch(code: Section, rel: Relocation): boolean {
  if (!PC_RELATIVE.has(rel.type)) return false;
  const op = code.data[rel.offset - 1];
  if (op === 0xe8 || op === 0xe9) return true;
  return code.data[rel.offset - 2] === 0x0f && ((op ?? 0) & 0xf0) === 0x80;
}

/** The module's functions by section and entry offset (objtool's __pfx_ padding symbols aside). */
function functionEntries(ko: ElfObject): Map<Section, Map<number, ElfSymbol>> {
  const entries = new Map<Section, Map<number, ElfSymbol>>();
  for (const s of ko.symbols) {
    const sec = s.definedIn;
    if (s.type !== STT.FUNC || !sec || s.name.startsWith("__pfx_")) continue;
    const bySection = entries.get(sec) ?? new Map<number, ElfSymbol>();
    const present = bySection.get(Number(s.value));
    // Prefer the unit's own name over the stub's alias of the same code.
    if (!present || REDIRECT_ALIAS.test(present.name)) bySection.set(Number(s.value), s);
    entries.set(sec, bySection);
  }
  return entries;
}

/** Offsets the module's `.ibt_endbr_seal` entries point at, per section. */
export function sealedOffsets(ko: ElfObject): Map<Section, Set<number>> {
  const sealed = new Map<Section, Set<number>>();
  for (const table of ko.sectionsByName(".ibt_endbr_seal")) {
    for (const rel of ko.relocationsFor(table)) {
      const sec = rel.symbol.definedIn;
      if (!sec) continue;
      const offsets = sealed.get(sec) ?? new Set<number>();
      offsets.add(Number(rel.symbol.value + rel.addend));
      sealed.set(sec, offsets);
    }
  }
  return sealed;
}

/** The module function a relocation takes the address of, if it points at a function entry. */
function moduleTarget(
  entries: Map<Section, Map<number, ElfSymbol>>,
  inCode: boolean,
  rel: Relocation,
): { symbol: ElfSymbol; section: Section; offset: number } | undefined {
  const sec = rel.symbol.definedIn;
  if (!sec) return undefined;
  const base = rel.symbol.type === STT.SECTION ? 0n : rel.symbol.value;
  // In code a PC-relative field is followed by the rest of the instruction: its addend is
  // minus that distance (-4 for `lea fn(%rip), %reg`); in data it is the target's offset.
  const delta = inCode && PC_RELATIVE.has(rel.type) ? 4n : 0n;
  const offset = Number(base + rel.addend + delta);
  const symbol = entries.get(sec)?.get(offset);
  return symbol ? { symbol, section: sec, offset } : undefined;
}

/** Every place the module takes the address of a function, with that function's IBT state. */
export function ibtViolations(ko: ElfObject, running: RunningFunctions): IbtViolation[] {
  const entries = functionEntries(ko);
  const sealed = sealedOffsets(ko);
  const violations: IbtViolation[] = [];
  const seen = new Set<string>();
  const report = (fn: string, takenAt: string, problem: IbtViolation["problem"]) => {
    const key = `${fn}|${problem}`;
    if (seen.has(key)) return;
    seen.add(key);
    violations.push({ function: fn, takenAt, problem });
  };
  for (const rela of ko.sections) {
    const target = rela.infoSection;
    if (rela.type !== SHT.RELA || !target || !(target.flags & SHF.ALLOC)) continue;
    if (INSTRUCTION_TABLES.has(target.name)) continue;
    const inCode = (target.flags & SHF.EXECINSTR) !== 0;
    for (const rel of rela.relocations ?? []) {
      if (inCode && isDirectBranch(target, rel)) continue;
      const takenAt = `${target.name}+0x${rel.offset.toString(16)}`;
      if (rel.symbol.section === SHN.UNDEF || rel.symbol.section === SHN.LIVEPATCH) {
        const m = KLP_SYM.exec(rel.symbol.name);
        const ref = m
          ? { objName: m[1] as string, name: m[2] as string, sympos: Number(m[3]) }
          : { objName: "vmlinux", name: rel.symbol.name, sympos: 0 };
        const state = running.entry(ref);
        const fn = `${ref.objName}:${ref.name},${ref.sympos}`;
        if (state && !state.endbr) report(fn, takenAt, "no-endbr");
        else if (state?.sealed) report(fn, takenAt, "sealed");
        continue;
      }
      const found = moduleTarget(entries, inCode, rel);
      if (!found || (!inCode && REDIRECT_ALIAS.test(rel.symbol.name))) continue;
      const name = found.symbol.name;
      if (!startsWithEndbr(found.section.data, found.offset)) report(name, takenAt, "no-endbr");
      else if (sealed.get(found.section)?.has(found.offset)) report(name, takenAt, "sealed");
    }
  }
  return violations;
}

/** One line per violation, for a refusal. */
export function describeIbtViolation(v: IbtViolation): string {
  const why =
    v.problem === "no-endbr"
      ? "does not start with ENDBR64"
      : "has its ENDBR64 sealed (the kernel overwrites it with a NOP, as objtool found no pointer to it)";
  return `${v.function} ${why}, but ${v.takenAt} takes its address: an indirect call to it faults on IBT hardware`;
}
