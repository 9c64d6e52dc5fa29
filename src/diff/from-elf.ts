// SPDX-License-Identifier: GPL-2.0-only
// Builds the differ's indexed view (./model.ts) from the ELF layer's model. Numbers only:
// values, sizes and addends of relocatable kernel objects fit in 2^53 (addends may be negative).
import { type ElfObject, type ElfSymbol, SHT } from "../elf/index.ts";
import { type DiffObject, type DReloc, type DSection, type DSymbol, finishObject } from "./model.ts";
import { STT_FUNC, STT_OBJECT } from "./predicates.ts";

export function fromElf(elf: ElfObject): DiffObject {
  const sections: DSection[] = [];
  const byIndex = new Map<number, DSection>();
  for (const s of elf.sections) {
    if (s.index === 0) continue;
    const sec: DSection = {
      index: s.index,
      name: s.name,
      type: s.type,
      flags: s.flags,
      size: s.contentSize,
      entsize: s.entsize,
      data: s.data,
      relocs: [],
      symbols: [],
    };
    sections.push(sec);
    byIndex.set(s.index, sec);
  }
  const symbols: DSymbol[] = [];
  const symByElf = new Map<ElfSymbol, DSymbol>();
  for (const e of elf.symbols) {
    const defined = e.definedIn;
    const sym: DSymbol = {
      index: e.index,
      name: e.name,
      type: e.type,
      bind: e.bind,
      section: defined ? byIndex.get(defined.index) : undefined,
      shndx: e.sectionIndex,
      value: Number(e.value),
      size: Number(e.size),
    };
    symbols.push(sym);
    symByElf.set(e, sym);
    if (sym.section && (sym.type === STT_FUNC || sym.type === STT_OBJECT) && e.index !== 0)
      sym.section.symbols.push(sym);
  }
  for (const s of elf.sections) {
    if (s.type !== SHT.RELA || !s.infoSection || !s.relocations) continue;
    const target = byIndex.get(s.infoSection.index);
    if (!target) continue;
    for (const r of s.relocations) {
      const symbol = symByElf.get(r.symbol) ?? (symbols[0] as DSymbol);
      const reloc: DReloc = { offset: r.offset, type: r.type, symbol, addend: Number(r.addend) };
      target.relocs.push(reloc);
    }
  }
  return finishObject(sections, symbols);
}
