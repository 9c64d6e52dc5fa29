// SPDX-License-Identifier: GPL-2.0-only
// The typed model of an ELF64 relocatable object: sections, symbols, relocations and groups
// that refer to each other as objects (not indices), so edits never leave a stale index behind.
// Indices are assigned by renumber() (edit.ts) and by the writer.
//
// Numbers vs bigint: file offsets, sizes of sections, alignments, link/info and relocation
// offsets are numbers (a file held in memory is far below 2^53, and the reader rejects larger
// values). Symbol values and sizes, addends and section addresses are bigint: they are 64-bit
// fields that really can exceed 2^53 (SHN_ABS values, negative addends). Section flags are a
// number: every defined flag lies below 2^32 (the reader rejects flags above 2^53).
import { SHN, SHT, STB } from "./constants.ts";

/** A section header index that is not a section: SHN.UNDEF, SHN.ABS, SHN.COMMON, SHN.LIVEPATCH, ... */
export type SpecialIndex = number;

/** What the reader saw; the writer uses it to keep an unchanged file byte-identical. */
export interface SectionOrigin {
  readonly index: number;
  readonly name: string;
  readonly nameOffset: number;
  readonly type: number;
  readonly offset: number;
  readonly size: number;
  /** sh_link named a section (the reader set linkSection). */
  readonly linked: boolean;
}

export interface SymbolOrigin {
  readonly index: number;
  readonly name: string;
  readonly nameOffset: number;
}

export class Section {
  /** Position in ElfObject.sections (0 is the null section). */
  index = 0;
  name = "";
  type: number = SHT.PROGBITS;
  flags = 0;
  addr = 0n;
  /** File offset as read (or as last written). The writer lays sections out itself. */
  offset = 0;
  /** sh_size as read. The writer uses data.length, except for NOBITS sections. */
  size = 0;
  /** sh_link as read; the writer derives it from linkSection when that is set. */
  link = 0;
  /** sh_info as read; the writer derives it for SYMTAB, RELA/REL, GROUP and SHF_INFO_LINK. */
  info = 0;
  addralign = 1;
  entsize = 0;
  /** Contents (a view into the input when read). Empty for NOBITS. Ignored by the writer for
   * SYMTAB, STRTAB of names, RELA/REL, GROUP and SYMTAB_SHNDX: those are encoded from the model. */
  data: Uint8Array = new Uint8Array(0);
  /** The section sh_link names (string table of a symtab, symtab of a RELA, LINK_ORDER target). */
  linkSection: Section | null = null;
  /** The section sh_info names (target of a RELA/REL, or any section with SHF_INFO_LINK). */
  infoSection: Section | null = null;
  /** Relocations of a RELA/REL section, in file order. */
  relocations: Relocation[] | null = null;
  /** Members and signature of a GROUP section. */
  group: SectionGroup | null = null;
  origin: SectionOrigin | null = null;

  constructor(init?: Partial<Omit<Section, "origin">>) {
    if (init) Object.assign(this, init);
  }

  get isNobits(): boolean {
    return this.type === SHT.NOBITS;
  }
  get isRelocation(): boolean {
    return this.type === SHT.RELA || this.type === SHT.REL;
  }
  /** Size of the section's contents in the output (sh_size). */
  get contentSize(): number {
    return this.isNobits ? this.size : this.data.length;
  }
}

export class ElfSymbol {
  /** Position in ElfObject.symbols (0 is the null symbol). */
  index = 0;
  name = "";
  bind: number = STB.LOCAL;
  type = 0;
  visibility = 0;
  /** The bits of st_other other than visibility (kept verbatim). */
  otherBits = 0;
  /** The section the symbol is defined in, or a special index (SHN.UNDEF for undefined). */
  section: Section | SpecialIndex = SHN.UNDEF;
  value = 0n;
  size = 0n;
  origin: SymbolOrigin | null = null;

  constructor(init?: Partial<Omit<ElfSymbol, "origin">>) {
    if (init) Object.assign(this, init);
  }

  get isLocal(): boolean {
    return this.bind === STB.LOCAL;
  }
  get isUndefined(): boolean {
    return this.section === SHN.UNDEF;
  }
  /** st_shndx as it would be written (SHN.XINDEX-free: the real index). */
  get sectionIndex(): number {
    return typeof this.section === "number" ? this.section : this.section.index;
  }
  /** The name, or for a section symbol (which has none) its section's name. */
  get displayName(): string {
    if (this.name === "" && this.type === 3 /* STT_SECTION */ && typeof this.section !== "number")
      return this.section.name;
    return this.name;
  }
  /** The defining section, or null for special indices. */
  get definedIn(): Section | null {
    return typeof this.section === "number" ? null : this.section;
  }
}

export interface Relocation {
  /** Offset inside the section the relocation applies to. */
  offset: number;
  /** An R_X86_64 value (constants.ts). */
  type: number;
  /** The symbol (ElfObject.symbols[0], the null symbol, for relocations without one). */
  symbol: ElfSymbol;
  /** 0n for SHT_REL sections. */
  addend: bigint;
}

export interface SectionGroup {
  /** GRP.COMDAT or 0 (the first word, kept verbatim). */
  flags: number;
  signature: ElfSymbol;
  members: Section[];
}

export interface ElfHeader {
  /** e_ident, 16 bytes (OS/ABI and padding kept verbatim). */
  ident: Uint8Array;
  type: number;
  machine: number;
  version: number;
  entry: bigint;
  flags: number;
  /** e_phentsize (only meaningful when there are program headers). */
  phentsize: number;
}

/** The input a model was read from, to write it back byte for byte when nothing changed. */
export interface ElfSource {
  readonly bytes: Uint8Array;
  readonly sections: readonly Section[];
  readonly shoff: number;
  readonly phoff: number;
  /** Length of the program header table. */
  readonly phsize: number;
}

export class ElfObject {
  header: ElfHeader;
  /** Index 0 is the null section. */
  sections: Section[];
  /** Index 0 is the null symbol; empty when the object has no symbol table. */
  symbols: ElfSymbol[];
  /** Program header table bytes (empty in ordinary relocatable objects), kept verbatim. */
  programHeaders: Uint8Array;
  /** e_shstrndx target. */
  shstrtab: Section | null;
  source: ElfSource | null;

  constructor(init: {
    header: ElfHeader;
    sections: Section[];
    symbols: ElfSymbol[];
    programHeaders?: Uint8Array;
    shstrtab: Section | null;
    source?: ElfSource | null;
  }) {
    this.header = init.header;
    this.sections = init.sections;
    this.symbols = init.symbols;
    this.programHeaders = init.programHeaders ?? new Uint8Array(0);
    this.shstrtab = init.shstrtab;
    this.source = init.source ?? null;
  }

  /** The SYMTAB section, if any. */
  get symtab(): Section | null {
    return this.sections.find((s) => s.type === SHT.SYMTAB) ?? null;
  }

  /** The first section with that name (names can repeat in objects: use sectionsByName then). */
  sectionByName(name: string): Section | undefined {
    return this.sections.find((s) => s.name === name && s.index !== 0);
  }

  sectionsByName(name: string): Section[] {
    return this.sections.filter((s) => s.name === name && s.index !== 0);
  }

  /** The first symbol with that name (local names can repeat: use symbolsByName then). */
  symbolByName(name: string): ElfSymbol | undefined {
    return this.symbols.find((s) => s.name === name && s.index !== 0);
  }

  symbolsByName(name: string): ElfSymbol[] {
    return this.symbols.filter((s) => s.name === name && s.index !== 0);
  }

  /** Symbols defined in a section (its STT_SECTION symbol included), in symbol table order. */
  symbolsInSection(section: Section): ElfSymbol[] {
    return this.symbols.filter((s) => s.section === section);
  }

  /** The RELA/REL sections that apply to a section. */
  relocationSectionsFor(section: Section): Section[] {
    return this.sections.filter((s) => s.isRelocation && s.infoSection === section);
  }

  /** Every relocation that applies to a section, in file order. */
  relocationsFor(section: Section): Relocation[] {
    const found = this.relocationSectionsFor(section);
    if (found.length === 1) return found[0]?.relocations ?? [];
    return found.flatMap((s) => s.relocations ?? []);
  }

  /** GROUP sections. */
  get groups(): Section[] {
    return this.sections.filter((s) => s.type === SHT.GROUP);
  }

  /** The group section a section belongs to, if any. */
  groupOf(section: Section): Section | undefined {
    return this.groups.find((g) => g.group?.members.includes(section));
  }
}
