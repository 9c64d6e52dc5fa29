// SPDX-License-Identifier: GPL-2.0-only
// objtool's jump-label hack, done on an object that objtool has not processed yet. x86 emits
// each static branch as a `jmp` to its "yes" label, with a __jump_table entry whose key
// carries flag bit 1 ("objtool NOPs this", arch/x86/include/asm/jump_label.h), and objtool
// (--hacks=jump_label) rewrites that jmp into a NOP of the same length: the branch is off
// until the kernel patches it on. On Debian's 6.1 objtool runs on every object, so compiled
// units already have the NOPs. On 6.12 (CONFIG_X86_KERNEL_IBT: objtool runs on vmlinux.o and
// on each module's link only) a compiled unit still has the jmp where the running kernel has
// the NOP. Run-pre matching and the patch extraction apply the same rewrite; on an object
// that objtool has processed it finds nothing to do.
import type { ElfObject, Relocation, Section } from "../elf/index.ts";

/** struct jump_entry: s32 code, s32 target, long key (each relative to its own field). */
const JUMP_ENTRY_SIZE = 16;
const KEY_FIELD = 8;
/** The key's flag bit that asks objtool for the NOP (`2 | branch` in arch_static_branch). */
const NOP_FLAG = 2n;

/** x86-64 NOPs of 2 and 5 bytes, as objtool writes them (arch_nop_insn, asm/nops.h). */
const NOPS: Record<number, number[]> = { 2: [0x66, 0x90], 5: [0x0f, 0x1f, 0x44, 0x00, 0x00] };
/** Opcodes of `jmp rel8` and `jmp rel32`, with the instruction's length. */
const JMP_LENGTH: Record<number, number> = { 235: 2, 233: 5 };

/** One jump-label site: the code section and the offset of the instruction in it. */
export interface JumpLabelSite {
  section: Section;
  offset: number;
  /** The key's flag bit 1: objtool turns the site into a NOP. */
  nop: boolean;
}

/** The sites every __jump_table entry of `obj` points at. */
export function jumpLabelSites(obj: ElfObject): JumpLabelSite[] {
  const sites: JumpLabelSite[] = [];
  for (const table of obj.sectionsByName("__jump_table")) {
    const byEntry = new Map<number, Relocation[]>();
    for (const rel of obj.relocationsFor(table)) {
      const entry = Math.floor(rel.offset / JUMP_ENTRY_SIZE);
      byEntry.set(entry, [...(byEntry.get(entry) ?? []), rel]);
    }
    for (const [entry, rels] of byEntry) {
      const code = rels.find((r) => r.offset === entry * JUMP_ENTRY_SIZE);
      const key = rels.find((r) => r.offset === entry * JUMP_ENTRY_SIZE + KEY_FIELD);
      const section = code?.symbol.definedIn;
      if (!code || !key || !section) continue;
      sites.push({
        section,
        offset: Number(code.symbol.value + code.addend),
        nop: (key.addend & NOP_FLAG) !== 0n,
      });
    }
  }
  return sites;
}

/**
 * Rewrites every `jmp` at a jump-label site whose key asks for it into the NOP objtool would
 * write, and drops a relocation inside the rewritten bytes (a jmp to another section has one).
 * Returns how many sites were rewritten.
 */
export function applyJumpLabelNops(obj: ElfObject): number {
  let rewritten = 0;
  for (const site of jumpLabelSites(obj)) {
    const length = JMP_LENGTH[site.section.data[site.offset] ?? -1];
    const nop = length === undefined ? undefined : NOPS[length];
    if (!site.nop || !nop || site.offset + nop.length > site.section.data.length) continue;
    site.section.data.set(nop, site.offset);
    for (const rs of obj.relocationSectionsFor(site.section)) {
      rs.relocations = (rs.relocations ?? []).filter(
        (r) => r.offset < site.offset || r.offset >= site.offset + nop.length,
      );
    }
    rewritten++;
  }
  return rewritten;
}
