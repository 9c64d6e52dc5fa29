// SPDX-License-Identifier: GPL-2.0-only
// Writes the model back to ELF bytes. Symbol tables, relocation sections, groups, extended
// section indices and name tables are encoded from the model; other sections from their data.
// When the section list and every section's size are as read, the original file is the
// template (its layout and padding kept), so an unchanged object comes back byte-identical;
// otherwise sections are laid out afresh in index order.
import { ELF, SHN, SHT } from "./constants.ts";
import { ElfError } from "./errors.ts";
import { type ElfObject, type ElfSymbol, Section } from "./model.ts";
import { renumber, symbolIndexOf } from "./renumber.ts";
import { type Named, planStringTable, type StringTablePlan } from "./strtab.ts";

/** Largest output, and most alignment padding, we agree to allocate: absurd alignments in
 * (fuzzed or hostile) input must end in an ElfError, not a gigabyte of zeros. */
const MAX_OUTPUT = 0x40000000;
const MAX_PADDING = 64 << 20;

interface Plan {
  contents: Map<Section, Uint8Array>;
  sectionNames: StringTablePlan | null;
  symbolNames: StringTablePlan | null;
}

function encodeSymbols(obj: ElfObject, nameOffsets: Uint32Array | null, shndx: DataView | null): Uint8Array {
  const out = new Uint8Array(obj.symbols.length * ELF.SYM_SIZE);
  const view = new DataView(out.buffer);
  const sectionCount = obj.sections.length;
  for (let i = 0; i < obj.symbols.length; i++) {
    const sym = obj.symbols[i] as ElfSymbol;
    const at = i * ELF.SYM_SIZE;
    view.setUint32(at, nameOffsets ? (nameOffsets[i] ?? 0) : 0, true);
    view.setUint8(at + 4, ((sym.bind & 0xf) << 4) | (sym.type & 0xf));
    view.setUint8(at + 5, (sym.otherBits & ~3) | (sym.visibility & 3));
    let index: number;
    if (typeof sym.section === "number") index = sym.section;
    else {
      index = sym.section.index;
      if (obj.sections[index] !== sym.section)
        throw new ElfError(
          `symbol '${sym.name}' is defined in section '${sym.section.name}', which is not in the object`,
        );
    }
    if (typeof sym.section !== "number" && index >= SHN.LORESERVE) {
      if (!shndx)
        throw new ElfError(
          `symbol '${sym.name}' needs an extended section index but there is no SYMTAB_SHNDX section`,
        );
      view.setUint16(at + 6, SHN.XINDEX, true);
      shndx.setUint32(i * 4, index, true);
    } else {
      if (index >= sectionCount && index < SHN.LORESERVE)
        throw new ElfError(`symbol '${sym.name}' names section ${index}, which does not exist`);
      view.setUint16(at + 6, index, true);
    }
    view.setBigUint64(at + 8, BigInt.asUintN(64, sym.value), true);
    view.setBigUint64(at + 16, BigInt.asUintN(64, sym.size), true);
  }
  return out;
}

function encodeRelocations(obj: ElfObject, section: Section): Uint8Array {
  const relocations = section.relocations ?? [];
  const isRela = section.type === SHT.RELA;
  const entry = isRela ? ELF.RELA_SIZE : ELF.REL_SIZE;
  const out = new Uint8Array(relocations.length * entry);
  const view = new DataView(out.buffer);
  const symbols = obj.symbols;
  for (let i = 0; i < relocations.length; i++) {
    const rel = relocations[i];
    if (!rel) continue;
    const at = i * entry;
    const symIndex = rel.symbol.index;
    if (symbols[symIndex] !== rel.symbol)
      symbolIndexOf(obj, rel.symbol, `relocation ${i} of '${section.name}'`);
    view.setUint32(at, rel.offset % 0x100000000, true);
    view.setUint32(at + 4, Math.floor(rel.offset / 0x100000000), true);
    view.setUint32(at + 8, rel.type, true);
    view.setUint32(at + 12, symIndex, true);
    if (isRela) view.setBigInt64(at + 16, BigInt.asIntN(64, rel.addend), true);
  }
  return out;
}

function encodeGroup(obj: ElfObject, section: Section): Uint8Array {
  const group = section.group;
  if (!group) return section.data;
  const out = new Uint8Array(4 + group.members.length * 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, group.flags, true);
  group.members.forEach((member, i) => {
    if (obj.sections[member.index] !== member)
      throw new ElfError(
        `group '${section.name}' lists section '${member.name}', which is not in the object`,
      );
    view.setUint32(4 + i * 4, member.index, true);
  });
  return out;
}

/** Every section's output bytes (NOBITS: none), with the name tables planned. */
function planContents(obj: ElfObject): Plan {
  const contents = new Map<Section, Uint8Array>();
  const symtab = obj.symtab;
  const symbolStrtab = symtab?.linkSection ?? null;
  const shstrtab = obj.shstrtab;
  // A name table may serve both sections and symbols: plan it once over both.
  const sectionEntries: Named[] = obj.sections;
  const symbolEntries: Named[] = obj.symbols;
  let sectionNames: StringTablePlan | null = null;
  let symbolNames: StringTablePlan | null = null;
  if (shstrtab && shstrtab === symbolStrtab) {
    const both = planStringTable([...sectionEntries, ...symbolEntries], shstrtab.data);
    sectionNames = { bytes: both.bytes, offsets: both.offsets.subarray(0, sectionEntries.length) };
    symbolNames = { bytes: both.bytes, offsets: both.offsets.subarray(sectionEntries.length) };
  } else {
    if (shstrtab) sectionNames = planStringTable(sectionEntries, shstrtab.data);
    if (symbolStrtab) symbolNames = planStringTable(symbolEntries, symbolStrtab.data);
  }
  if (shstrtab && sectionNames) contents.set(shstrtab, sectionNames.bytes);
  if (symbolStrtab && symbolNames) contents.set(symbolStrtab, symbolNames.bytes);

  const shndxSection =
    obj.sections.find((s) => s.type === SHT.SYMTAB_SHNDX && s.linkSection === symtab) ?? null;
  if (symtab) {
    const shndxBytes = shndxSection ? new Uint8Array(obj.symbols.length * 4) : null;
    const shndxView = shndxBytes ? new DataView(shndxBytes.buffer) : null;
    contents.set(symtab, encodeSymbols(obj, symbolNames?.offsets ?? null, shndxView));
    if (shndxSection && shndxBytes) contents.set(shndxSection, shndxBytes);
  }
  for (const s of obj.sections) {
    if (contents.has(s)) continue;
    if (s.isRelocation && s.relocations) contents.set(s, encodeRelocations(obj, s));
    else if (s.type === SHT.GROUP) contents.set(s, encodeGroup(obj, s));
    else contents.set(s, s.type === SHT.NOBITS || s.index === 0 ? new Uint8Array(0) : s.data);
  }
  return { contents, sectionNames, symbolNames };
}

/** True when the original file can serve as the template: same sections, same sizes. */
function canKeepLayout(obj: ElfObject, plan: Plan): boolean {
  const source = obj.source;
  if (!source || source.sections.length !== obj.sections.length) return false;
  if (obj.programHeaders.length !== source.phsize) return false;
  for (let i = 0; i < obj.sections.length; i++) {
    const s = obj.sections[i] as Section;
    const origin = s.origin;
    if (source.sections[i] !== s || !origin) return false;
    if ((origin.type === SHT.NOBITS) !== (s.type === SHT.NOBITS)) return false;
    if (s.type !== SHT.NOBITS && i > 0 && (plan.contents.get(s)?.length ?? 0) !== origin.size) return false;
  }
  return true;
}

function alignUp(value: number, align: number): number {
  return align > 1 ? Math.ceil(value / align) * align : value;
}

interface Layout {
  offsets: number[];
  shoff: number;
  phoff: number;
  total: number;
}

function freshLayout(obj: ElfObject, plan: Plan): Layout {
  let pos: number = ELF.EHDR_SIZE;
  const phoff = obj.programHeaders.length > 0 ? pos : 0;
  pos += obj.programHeaders.length;
  const offsets: number[] = [0];
  let padding = 0;
  for (let i = 1; i < obj.sections.length; i++) {
    const s = obj.sections[i] as Section;
    const aligned = alignUp(pos, Math.max(1, s.addralign));
    padding += aligned - pos;
    pos = aligned;
    offsets.push(pos);
    pos += plan.contents.get(s)?.length ?? 0;
    if (pos > MAX_OUTPUT || padding > MAX_PADDING) {
      throw new ElfError(
        `laying out section '${s.name}' (alignment ${s.addralign}) needs ${padding} bytes of padding and ${pos} in all, more than hotpatch allows`,
      );
    }
  }
  const shoff = obj.sections.length > 0 ? alignUp(pos, 8) : 0;
  return { offsets, shoff, phoff, total: shoff + obj.sections.length * ELF.SHDR_SIZE };
}

function writeSectionHeaders(obj: ElfObject, plan: Plan, view: DataView, layout: Layout): void {
  const count = obj.sections.length;
  const shstrndx = obj.shstrtab?.index ?? 0;
  for (let i = 0; i < count; i++) {
    const s = obj.sections[i] as Section;
    const at = layout.shoff + i * ELF.SHDR_SIZE;
    const content = plan.contents.get(s);
    let size = s.type === SHT.NOBITS || s.type === SHT.NULL ? s.size : (content?.length ?? 0);
    let link = s.link;
    if (i === 0) {
      // Extended numbering keeps the real counts in section 0.
      size = count >= SHN.LORESERVE ? count : s.size;
      link = shstrndx >= SHN.LORESERVE ? shstrndx : s.link;
    }
    view.setUint32(at, plan.sectionNames?.offsets[i] ?? 0, true);
    view.setUint32(at + 4, s.type, true);
    view.setBigUint64(at + 8, BigInt(s.flags), true);
    view.setBigUint64(at + 16, BigInt.asUintN(64, s.addr), true);
    view.setBigUint64(at + 24, BigInt(layout.offsets[i] ?? 0), true);
    view.setBigUint64(at + 32, BigInt(size), true);
    view.setUint32(at + 40, link, true);
    view.setUint32(at + 44, s.info, true);
    view.setBigUint64(at + 48, BigInt(s.addralign), true);
    view.setBigUint64(at + 56, BigInt(s.entsize), true);
  }
}

function writeHeader(obj: ElfObject, out: Uint8Array, view: DataView, layout: Layout): void {
  const h = obj.header;
  out.set(h.ident.subarray(0, 16), 0);
  view.setUint16(16, h.type, true);
  view.setUint16(18, h.machine, true);
  view.setUint32(20, h.version, true);
  view.setBigUint64(24, BigInt.asUintN(64, h.entry), true);
  view.setBigUint64(32, BigInt(layout.phoff), true);
  view.setBigUint64(40, BigInt(layout.shoff), true);
  view.setUint32(48, h.flags, true);
  view.setUint16(52, ELF.EHDR_SIZE, true);
  const phnum = obj.programHeaders.length > 0 ? obj.programHeaders.length / h.phentsize : 0;
  view.setUint16(54, h.phentsize, true);
  view.setUint16(56, phnum, true);
  const count = obj.sections.length;
  const shstrndx = obj.shstrtab?.index ?? 0;
  view.setUint16(58, count > 0 ? ELF.SHDR_SIZE : 0, true);
  view.setUint16(60, count >= SHN.LORESERVE ? 0 : count, true);
  view.setUint16(62, shstrndx >= SHN.LORESERVE ? SHN.XINDEX : shstrndx, true);
}

/** Adds a SYMTAB_SHNDX section when the section count needs one and there is none. */
function ensureShndx(obj: ElfObject): void {
  const symtab = obj.symtab;
  if (!symtab || obj.sections.length < SHN.LORESERVE) return;
  if (obj.sections.some((s) => s.type === SHT.SYMTAB_SHNDX)) return;
  obj.sections.push(
    new Section({
      name: ".symtab_shndx",
      type: SHT.SYMTAB_SHNDX,
      addralign: 4,
      entsize: 4,
      linkSection: symtab,
    }),
  );
}

/**
 * Encodes the object. Normalizes the model first (renumber: locals first, indices, sh_link and
 * sh_info), and records the written offsets and sizes in the sections.
 */
export function writeElf(obj: ElfObject): Uint8Array {
  ensureShndx(obj);
  renumber(obj);
  const plan = planContents(obj);
  const keep = canKeepLayout(obj, plan);
  const source = obj.source;
  let out: Uint8Array;
  let layout: Layout;
  if (keep && source) {
    layout = {
      offsets: obj.sections.map((s) => s.origin?.offset ?? 0),
      shoff: source.shoff,
      phoff: source.phoff,
      total: source.bytes.length,
    };
    out = new Uint8Array(source.bytes);
  } else {
    layout = freshLayout(obj, plan);
    out = new Uint8Array(layout.total);
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  writeHeader(obj, out, view, layout);
  if (obj.programHeaders.length > 0) out.set(obj.programHeaders, layout.phoff);
  for (const s of obj.sections) {
    const content = plan.contents.get(s);
    const at = layout.offsets[s.index] ?? 0;
    if (
      content &&
      content.length > 0 &&
      !(
        keep &&
        content === s.data &&
        s.data.buffer === source?.bytes.buffer &&
        s.data.byteOffset - source.bytes.byteOffset === at
      )
    ) {
      out.set(content, at);
    }
  }
  writeSectionHeaders(obj, plan, view, layout);
  for (const s of obj.sections) {
    s.offset = layout.offsets[s.index] ?? 0;
    if (s.type !== SHT.NOBITS && s.type !== SHT.NULL) s.size = plan.contents.get(s)?.length ?? 0;
  }
  return out;
}
