// SPDX-License-Identifier: GPL-2.0-only
// Reads an ELF64 little-endian x86_64 relocatable object into the model (model.ts).
// Every size and offset is checked against the file length before anything is allocated or
// followed, so garbage input ends in an ElfError saying what and where, never a hang or an OOM.
import { ELF, SHF, SHN, SHT } from "./constants.ts";
import { ElfError } from "./errors.ts";
import {
  type ElfHeader,
  ElfObject,
  ElfSymbol,
  type Relocation,
  Section,
  type SectionGroup,
} from "./model.ts";

/** Little-endian field access with bounds already checked by the caller. */
class Input {
  readonly view: DataView;
  readonly buffer: Buffer;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get length(): number {
    return this.bytes.length;
  }
  u8(at: number): number {
    return this.view.getUint8(at);
  }
  u16(at: number): number {
    return this.view.getUint16(at, true);
  }
  u32(at: number): number {
    return this.view.getUint32(at, true);
  }
  /** A 64-bit field that must fit a JS number exactly. */
  safe64(at: number, what: string): number {
    const lo = this.view.getUint32(at, true);
    const hi = this.view.getUint32(at + 4, true);
    if (hi >= 0x200000)
      throw new ElfError(`${what} 0x${this.view.getBigUint64(at, true).toString(16)} is too large`, at);
    return hi * 0x100000000 + lo;
  }
  u64(at: number): bigint {
    return this.view.getBigUint64(at, true);
  }
  i64(at: number): bigint {
    return this.view.getBigInt64(at, true);
  }
}

/** Resolves NUL-terminated names in one string table section, with checks. */
class StringTable {
  private readonly cache = new Map<number, string>();
  /** Positions of every NUL in the table, ascending, found once by native searches: a name's
   * end is then a binary search, so hostile tables (long NUL-free runs shared by thousands of
   * names) cannot make lookups quadratic. */
  private nuls: Int32Array | null = null;
  /** Bytes of distinct names decoded so far. Overlapping names (tail sharing) are legitimate,
   * but thousands of names inside one huge run would cost memory quadratic in the file. */
  private decoded = 0;
  constructor(
    private readonly input: Input,
    private readonly section: Section,
  ) {}

  private terminators(): Int32Array {
    if (this.nuls) return this.nuls;
    const table = this.input.bytes.subarray(this.section.offset, this.section.offset + this.section.size);
    const found: number[] = [];
    for (let at = table.indexOf(0); at >= 0; at = table.indexOf(0, at + 1)) found.push(at);
    this.nuls = Int32Array.from(found);
    return this.nuls;
  }

  /** Offset (in the table) of the first NUL at or after `index`, or -1. */
  private endOf(index: number): number {
    const nuls = this.terminators();
    let lo = 0;
    let hi = nuls.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((nuls[mid] as number) < index) lo = mid + 1;
      else hi = mid;
    }
    return lo < nuls.length ? (nuls[lo] as number) : -1;
  }

  get(index: number, user: string, userOffset: number): string {
    const cached = this.cache.get(index);
    if (cached !== undefined) return cached;
    const { section, input } = this;
    if (index >= section.size) {
      throw new ElfError(
        `${user} has name index ${index}, past the end of string table '${section.name}' (size ${section.size})`,
        userOffset,
      );
    }
    const end = this.endOf(index);
    if (end < 0) {
      throw new ElfError(
        `${user} has a name that runs off the end of string table '${section.name}'`,
        userOffset,
      );
    }
    this.decoded += end - index;
    if (this.decoded > 8 * section.size + (1 << 20)) {
      throw new ElfError(
        `names in string table '${section.name}' overlap far more than any real object's (${this.decoded} bytes of names from a ${section.size}-byte table)`,
        userOffset,
      );
    }
    const name = input.buffer.toString("latin1", section.offset + index, section.offset + end);
    this.cache.set(index, name);
    return name;
  }
}

interface RawHeader {
  header: ElfHeader;
  shoff: number;
  shnum: number;
  shstrndx: number;
  phoff: number;
  phnum: number;
  phentsize: number;
}

/** Refuses anything but a little-endian ELF64 x86_64 relocatable object; returns type and machine. */
function checkIdent(input: Input): { type: number; machine: number } {
  if (input.length < ELF.EHDR_SIZE)
    throw new ElfError(`file is ${input.length} bytes, too short for an ELF header (64)`, 0);
  for (let i = 0; i < 4; i++)
    if (input.u8(i) !== ELF.MAGIC[i]) throw new ElfError("not an ELF file (bad magic)", 0);
  if (input.u8(4) !== ELF.CLASS64) throw new ElfError(`ELF class ${input.u8(4)} is not ELF64`, 4);
  if (input.u8(5) !== ELF.DATA2LSB)
    throw new ElfError(`data encoding ${input.u8(5)} is not little-endian`, 5);
  if (input.u8(6) !== ELF.EV_CURRENT) throw new ElfError(`ELF ident version ${input.u8(6)} is not 1`, 6);
  const type = input.u16(16);
  if (type !== ELF.ET_REL) throw new ElfError(`ELF type ${type} is not ET_REL (a relocatable object)`, 16);
  const machine = input.u16(18);
  if (machine !== ELF.EM_X86_64) throw new ElfError(`machine ${machine} is not x86_64 (62)`, 18);
  return { type, machine };
}

function readHeader(input: Input): RawHeader {
  const { type, machine } = checkIdent(input);
  const version = input.u32(20);
  const ehsize = input.u16(52);
  if (ehsize !== ELF.EHDR_SIZE) throw new ElfError(`ELF header size ${ehsize} is not 64`, 52);
  const phoff = input.safe64(32, "program header offset");
  const phentsize = input.u16(54);
  const phnum = input.u16(56);
  if (phnum > 0 && (phentsize < 56 || phoff + phnum * phentsize > input.length)) {
    throw new ElfError(
      `program header table (${phnum} x ${phentsize} bytes at ${phoff}) does not fit in the file`,
      32,
    );
  }
  const shoff = input.safe64(40, "section header offset");
  const shentsize = input.u16(58);
  let shnum = input.u16(60);
  let shstrndx = input.u16(62);
  if (shoff === 0) {
    if (shnum !== 0) throw new ElfError(`${shnum} section headers at offset 0`, 40);
  } else {
    if (shentsize !== ELF.SHDR_SIZE) throw new ElfError(`section header size ${shentsize} is not 64`, 58);
    if (shoff + ELF.SHDR_SIZE > input.length)
      throw new ElfError(
        `section header table at ${shoff} is past the end of the file (${input.length} bytes)`,
        40,
      );
    // Extended numbering: the real counts live in section 0.
    if (shnum === 0) shnum = input.safe64(shoff + 32, "extended section count");
    if (shstrndx === SHN.XINDEX) shstrndx = input.u32(shoff + 40);
    if (shoff + shnum * ELF.SHDR_SIZE > input.length) {
      throw new ElfError(
        `section header table (${shnum} entries at ${shoff}) runs past the end of the file (${input.length} bytes)`,
        40,
      );
    }
    if (shstrndx >= shnum)
      throw new ElfError(`section name table index ${shstrndx} is not a section (${shnum} sections)`, 62);
  }
  const header: ElfHeader = {
    ident: input.bytes.slice(0, 16),
    type,
    machine,
    version,
    entry: input.u64(24),
    flags: input.u32(48),
    phentsize,
  };
  return { header, shoff, shnum, shstrndx, phoff, phnum, phentsize };
}

function readSectionHeaders(input: Input, raw: RawHeader): { sections: Section[]; nameOffsets: number[] } {
  const sections: Section[] = [];
  const nameOffsets: number[] = [];
  for (let i = 0; i < raw.shnum; i++) {
    const at = raw.shoff + i * ELF.SHDR_SIZE;
    const s = new Section();
    s.index = i;
    s.type = input.u32(at + 4);
    s.flags = input.safe64(at + 8, `section ${i} flags`);
    s.addr = input.u64(at + 16);
    s.offset = input.safe64(at + 24, `section ${i} offset`);
    s.size = input.safe64(at + 32, `section ${i} size`);
    s.link = input.u32(at + 40);
    s.info = input.u32(at + 44);
    s.addralign = input.safe64(at + 48, `section ${i} alignment`);
    s.entsize = input.safe64(at + 56, `section ${i} entry size`);
    if (i === 0) {
      // Section 0 carries the extended counts; its contents are never read.
      s.type = SHT.NULL;
    } else if (s.type !== SHT.NOBITS && s.type !== SHT.NULL && s.offset + s.size > input.length) {
      throw new ElfError(
        `section ${i} (${s.size} bytes at ${s.offset}) runs past the end of the file (${input.length} bytes)`,
        at + 24,
      );
    }
    if (s.addralign > 0x40000000 || (s.addralign & (s.addralign - 1)) !== 0) {
      throw new ElfError(`section ${i} alignment ${s.addralign} is not a power of two up to 2^30`, at + 48);
    }
    if (i > 0 && s.type !== SHT.NOBITS && s.type !== SHT.NULL)
      s.data = input.bytes.subarray(s.offset, s.offset + s.size);
    nameOffsets.push(input.u32(at));
    sections.push(s);
  }
  return { sections, nameOffsets };
}

/** Sections, headers and the section header table must not overlap (it would mean a loop or a lie). */
function checkOverlaps(raw: RawHeader, sections: Section[]): void {
  const spans: Array<{ start: number; end: number; what: string }> = [
    { start: 0, end: ELF.EHDR_SIZE, what: "the ELF header" },
  ];
  if (raw.shnum > 0)
    spans.push({
      start: raw.shoff,
      end: raw.shoff + raw.shnum * ELF.SHDR_SIZE,
      what: "the section header table",
    });
  if (raw.phnum > 0)
    spans.push({
      start: raw.phoff,
      end: raw.phoff + raw.phnum * raw.phentsize,
      what: "the program header table",
    });
  for (const s of sections) {
    if (s.index > 0 && s.type !== SHT.NOBITS && s.type !== SHT.NULL && s.size > 0) {
      spans.push({ start: s.offset, end: s.offset + s.size, what: `section ${s.index}` });
    }
  }
  spans.sort((a, b) => a.start - b.start);
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1];
    const cur = spans[i];
    if (prev && cur && cur.start < prev.end)
      throw new ElfError(`${cur.what} overlaps ${prev.what}`, cur.start);
  }
}

function nameSections(
  input: Input,
  raw: RawHeader,
  sections: Section[],
  nameOffsets: number[],
): Section | null {
  const shstrtab = raw.shnum > 0 && raw.shstrndx !== SHN.UNDEF ? (sections[raw.shstrndx] ?? null) : null;
  if (shstrtab && shstrtab.type !== SHT.STRTAB)
    throw new ElfError(
      `section name table (section ${raw.shstrndx}) is not a string table`,
      raw.shoff + raw.shstrndx * ELF.SHDR_SIZE + 4,
    );
  const strings = shstrtab ? new StringTable(input, shstrtab) : null;
  for (const s of sections) {
    const nameOffset = nameOffsets[s.index] ?? 0;
    const at = raw.shoff + s.index * ELF.SHDR_SIZE;
    if (strings && s.index > 0) s.name = strings.get(nameOffset, `section ${s.index}`, at);
    else if (nameOffset !== 0 && s.index > 0)
      throw new ElfError(`section ${s.index} has a name but the object has no section name table`, at);
    s.origin = {
      index: s.index,
      name: s.name,
      nameOffset,
      type: s.type,
      offset: s.offset,
      size: s.size,
      linked: false,
    };
  }
  return shstrtab;
}

const needsSymtabLink: ReadonlySet<number> = new Set([SHT.RELA, SHT.REL, SHT.GROUP, SHT.SYMTAB_SHNDX]);

/** Turns sh_link/sh_info indices into section references, checking the kinds that must match. */
function linkSections(raw: RawHeader, sections: Section[]): void {
  for (const s of sections) {
    if (s.index === 0) continue;
    const at = raw.shoff + s.index * ELF.SHDR_SIZE;
    const linkIsSection =
      s.type === SHT.SYMTAB || needsSymtabLink.has(s.type) || (s.flags & SHF.LINK_ORDER) !== 0;
    if (s.link !== 0) {
      const target = sections[s.link];
      if (target === undefined || s.link === 0) {
        if (linkIsSection)
          throw new ElfError(`section ${s.index} links to section ${s.link}, which does not exist`, at + 40);
      } else {
        s.linkSection = target;
        if (s.origin) s.origin = { ...s.origin, linked: true };
      }
    }
    if (s.type === SHT.SYMTAB && s.linkSection?.type !== SHT.STRTAB) {
      throw new ElfError(`symbol table (section ${s.index}) does not link to a string table`, at + 40);
    }
    if (needsSymtabLink.has(s.type) && s.linkSection?.type !== SHT.SYMTAB) {
      throw new ElfError(`section ${s.index} does not link to the symbol table`, at + 40);
    }
    const infoIsSection = s.type === SHT.RELA || s.type === SHT.REL || (s.flags & SHF.INFO_LINK) !== 0;
    if (infoIsSection && s.info !== 0) {
      const target = sections[s.info];
      if (target === undefined)
        throw new ElfError(`section ${s.index} applies to section ${s.info}, which does not exist`, at + 44);
      if ((s.type === SHT.RELA || s.type === SHT.REL) && (target === s || target.isRelocation)) {
        throw new ElfError(
          `relocation section ${s.index} applies to a relocation section (${s.info})`,
          at + 44,
        );
      }
      s.infoSection = target;
    }
  }
  const symtabs = sections.filter((s) => s.type === SHT.SYMTAB);
  if (symtabs.length > 1)
    throw new ElfError(
      `${symtabs.length} symbol tables (at most one is allowed)`,
      raw.shoff + (symtabs[1]?.index ?? 0) * ELF.SHDR_SIZE,
    );
}

/** The section a symbol (entry at `at`) is defined in, or its special index (UNDEF, ABS, ...). */
function symbolSection(
  input: Input,
  sym: ElfSymbol,
  at: number,
  sections: Section[],
  shndxTable: Section | undefined,
): Section | number {
  const i = sym.index;
  const shndx = input.view.getUint16(at + 6, true);
  if (shndx === SHN.XINDEX) {
    if (!shndxTable)
      throw new ElfError(
        `symbol ${i} uses an extended section index but there is no SYMTAB_SHNDX section`,
        at + 6,
      );
    const extended = input.view.getUint32(shndxTable.offset + i * 4, true);
    if (extended === 0 || extended >= sections.length)
      throw new ElfError(
        `symbol ${i} names section ${extended}, which does not exist`,
        shndxTable.offset + i * 4,
      );
    return sections[extended] as Section;
  }
  if (shndx === SHN.UNDEF || shndx >= SHN.LORESERVE) return shndx;
  const section = sections[shndx];
  if (!section)
    throw new ElfError(`symbol ${i} '${sym.name}' names section ${shndx}, which does not exist`, at + 6);
  return section;
}

function readSymbols(input: Input, raw: RawHeader, sections: Section[]): ElfSymbol[] {
  const symtab = sections.find((s) => s.type === SHT.SYMTAB);
  if (!symtab) return [];
  const headerAt = raw.shoff + symtab.index * ELF.SHDR_SIZE;
  if (symtab.entsize !== ELF.SYM_SIZE)
    throw new ElfError(`symbol table entry size ${symtab.entsize} is not 24`, headerAt + 56);
  if (symtab.size % ELF.SYM_SIZE !== 0 || symtab.size === 0)
    throw new ElfError(`symbol table size ${symtab.size} is not a non-zero multiple of 24`, headerAt + 32);
  const count = symtab.size / ELF.SYM_SIZE;
  if (symtab.info > count)
    throw new ElfError(`symbol table says ${symtab.info} local symbols but holds ${count}`, headerAt + 44);
  const strtab = symtab.linkSection as Section;
  const strings = new StringTable(input, strtab);
  const shndxTable = sections.find((s) => s.type === SHT.SYMTAB_SHNDX && s.linkSection === symtab);
  if (shndxTable && shndxTable.size < count * 4) {
    throw new ElfError(
      `extended section index table (${shndxTable.size} bytes) is shorter than the symbol table needs`,
      raw.shoff + shndxTable.index * ELF.SHDR_SIZE + 32,
    );
  }
  const symbols: ElfSymbol[] = new Array(count);
  const view = input.view;
  for (let i = 0; i < count; i++) {
    const at = symtab.offset + i * ELF.SYM_SIZE;
    const sym = new ElfSymbol();
    sym.index = i;
    const nameOffset = view.getUint32(at, true);
    sym.name = nameOffset === 0 ? "" : strings.get(nameOffset, `symbol ${i}`, at);
    const info = view.getUint8(at + 4);
    sym.bind = info >> 4;
    sym.type = info & 0xf;
    const other = view.getUint8(at + 5);
    sym.visibility = other & 3;
    sym.otherBits = other & ~3;
    sym.section = symbolSection(input, sym, at, sections, shndxTable);
    sym.value = view.getBigUint64(at + 8, true);
    sym.size = view.getBigUint64(at + 16, true);
    sym.origin = { index: i, name: sym.name, nameOffset };
    symbols[i] = sym;
  }
  return symbols;
}

function readRelocations(input: Input, raw: RawHeader, section: Section, symbols: ElfSymbol[]): Relocation[] {
  const headerAt = raw.shoff + section.index * ELF.SHDR_SIZE;
  const isRela = section.type === SHT.RELA;
  const entry = isRela ? ELF.RELA_SIZE : ELF.REL_SIZE;
  if (section.entsize !== entry)
    throw new ElfError(
      `relocation section ${section.index} entry size ${section.entsize} is not ${entry}`,
      headerAt + 56,
    );
  if (section.size % entry !== 0)
    throw new ElfError(
      `relocation section ${section.index} size ${section.size} is not a multiple of ${entry}`,
      headerAt + 32,
    );
  const count = section.size / entry;
  const view = input.view;
  const relocations: Relocation[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const at = section.offset + i * entry;
    const offsetHi = view.getUint32(at + 4, true);
    if (offsetHi >= 0x200000)
      throw new ElfError(`relocation ${i} of section ${section.index} has offset past 2^53`, at);
    const symIndex = view.getUint32(at + 12, true);
    const symbol = symbols[symIndex];
    if (symbol === undefined)
      throw new ElfError(
        `relocation ${i} of section ${section.index} '${section.name}' names symbol ${symIndex}, which does not exist (${symbols.length} symbols)`,
        at + 12,
      );
    relocations[i] = {
      offset: offsetHi * 0x100000000 + view.getUint32(at, true),
      type: view.getUint32(at + 8, true),
      symbol,
      addend: isRela ? view.getBigInt64(at + 16, true) : 0n,
    };
  }
  return relocations;
}

function readGroup(
  input: Input,
  raw: RawHeader,
  section: Section,
  sections: Section[],
  symbols: ElfSymbol[],
): SectionGroup {
  const headerAt = raw.shoff + section.index * ELF.SHDR_SIZE;
  if (section.size < 4 || section.size % 4 !== 0)
    throw new ElfError(
      `group section ${section.index} size ${section.size} is not a non-zero multiple of 4`,
      headerAt + 32,
    );
  const signature = symbols[section.info];
  if (signature === undefined)
    throw new ElfError(
      `group section ${section.index} names signature symbol ${section.info}, which does not exist`,
      headerAt + 44,
    );
  const members: Section[] = [];
  for (let at = section.offset + 4; at < section.offset + section.size; at += 4) {
    const index = input.u32(at);
    const member = sections[index];
    if (member === undefined || index === 0 || member === section)
      throw new ElfError(
        `group section ${section.index} lists section ${index}, which is not a valid member`,
        at,
      );
    members.push(member);
  }
  return { flags: input.u32(section.offset), signature, members };
}

/** Parses an ELF64 little-endian x86_64 relocatable object. Throws ElfError on malformed input. */
export function readElf(bytes: Uint8Array): ElfObject {
  const input = new Input(bytes);
  const raw = readHeader(input);
  const { sections, nameOffsets } = readSectionHeaders(input, raw);
  checkOverlaps(raw, sections);
  const shstrtab = nameSections(input, raw, sections, nameOffsets);
  linkSections(raw, sections);
  const symbols = readSymbols(input, raw, sections);
  for (const s of sections) {
    if (s.isRelocation) {
      if (symbols.length === 0)
        throw new ElfError(
          `relocation section ${s.index} '${s.name}' but the object has no symbol table`,
          raw.shoff + s.index * ELF.SHDR_SIZE,
        );
      s.relocations = readRelocations(input, raw, s, symbols);
    } else if (s.type === SHT.GROUP) {
      s.group = readGroup(input, raw, s, sections, symbols);
    }
  }
  const programHeaders =
    raw.phnum > 0 ? bytes.subarray(raw.phoff, raw.phoff + raw.phnum * raw.phentsize) : new Uint8Array(0);
  return new ElfObject({
    header: raw.header,
    sections,
    symbols,
    programHeaders,
    shstrtab,
    source: {
      bytes,
      sections: sections.slice(),
      shoff: raw.shoff,
      phoff: raw.phoff,
      phsize: programHeaders.length,
    },
  });
}
