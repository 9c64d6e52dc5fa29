// SPDX-License-Identifier: GPL-2.0-only
// Just enough of ELF64 to inspect a kernel module before loading it: section headers, the
// .modinfo strings, symbols and RELA entries. The runtime runs on production servers and must
// not depend on the build-side ELF layer (src/elf), so this reader is small and read-only.
import { UserError } from "../errors/user-error.ts";

export interface KoSection {
  index: number;
  name: string;
  type: number;
  flags: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

export interface KoSymbol {
  name: string;
  /** STT_* (low nibble of st_info). */
  type: number;
  shndx: number;
  value: bigint;
}

export interface KoRela {
  offset: number;
  type: number;
  symbol: number;
  addend: bigint;
}

export const SHT_SYMTAB = 2;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHF_EXECINSTR = 0x4n;

export class KoFile {
  readonly sections: KoSection[];
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly path: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.checkHeader();
    this.sections = this.readSections();
  }

  private bad(what: string): never {
    throw new UserError(`${this.path} is not a valid kernel module: ${what}.`);
  }

  private checkHeader(): void {
    const b = this.bytes;
    if (b.length < 64 || b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46)
      this.bad("no ELF header");
    if (b[4] !== 2 || b[5] !== 1) this.bad("not a 64-bit little-endian ELF file");
    if (this.view.getUint16(16, true) !== 1) this.bad("not a relocatable object (ET_REL)");
    if (this.view.getUint16(18, true) !== 62) this.bad("not built for x86_64");
  }

  private u64(at: number): bigint {
    if (at + 8 > this.bytes.length) this.bad(`truncated at offset ${at}`);
    return this.view.getBigUint64(at, true);
  }

  private u32(at: number): number {
    if (at + 4 > this.bytes.length) this.bad(`truncated at offset ${at}`);
    return this.view.getUint32(at, true);
  }

  private small(value: bigint, what: string): number {
    if (value > BigInt(this.bytes.length)) this.bad(`${what} ${value} is past the end of the file`);
    return Number(value);
  }

  private readSections(): KoSection[] {
    const shoff = this.small(this.u64(0x28), "section header offset");
    const shentsize = this.view.getUint16(0x3a, true);
    const shnum = this.view.getUint16(0x3c, true);
    const shstrndx = this.view.getUint16(0x3e, true);
    if (shentsize !== 64 || shnum === 0 || shstrndx >= shnum) this.bad("bad section header table");
    if (shoff + shnum * 64 > this.bytes.length) this.bad("section headers past the end of the file");
    const raw = Array.from({ length: shnum }, (_, index) => {
      const at = shoff + index * 64;
      const type = this.u32(at + 4);
      const offset = this.small(this.u64(at + 24), "section offset");
      const size = this.small(this.u64(at + 32), "section size");
      if (type !== SHT_NOBITS && offset + size > this.bytes.length)
        this.bad(`section ${index} past the end of the file`);
      return {
        index,
        nameOffset: this.u32(at),
        type,
        flags: this.u64(at + 8),
        offset,
        size,
        link: this.u32(at + 40),
        info: this.u32(at + 44),
        entsize: Number(this.u64(at + 56)),
      };
    });
    const strtab = raw[shstrndx] as (typeof raw)[number];
    return raw.map(({ nameOffset, ...s }) => ({
      ...s,
      name: this.cString(strtab.offset + nameOffset, strtab.offset + strtab.size),
    }));
  }

  private cString(start: number, end: number): string {
    if (start >= end) return "";
    const stop = this.bytes.indexOf(0, start);
    return Buffer.from(this.bytes.subarray(start, stop < 0 || stop > end ? end : stop)).toString("utf8");
  }

  section(name: string): KoSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  data(section: KoSection): Uint8Array {
    if (section.type === SHT_NOBITS) return new Uint8Array(section.size);
    return this.bytes.subarray(section.offset, section.offset + section.size);
  }

  symbols(): KoSymbol[] {
    const symtab = this.sections.find((s) => s.type === SHT_SYMTAB);
    if (!symtab) return [];
    const strtab = this.sections[symtab.link];
    if (!strtab) this.bad("symbol table without a string table");
    const count = Math.floor(symtab.size / 24);
    return Array.from({ length: count }, (_, i) => {
      const at = symtab.offset + i * 24;
      return {
        name: this.cString(strtab.offset + this.u32(at), strtab.offset + strtab.size),
        type: (this.bytes[at + 4] ?? 0) & 0xf,
        shndx: this.view.getUint16(at + 6, true),
        value: this.u64(at + 8),
      };
    });
  }

  relas(section: KoSection): KoRela[] {
    const count = Math.floor(section.size / 24);
    return Array.from({ length: count }, (_, i) => {
      const at = section.offset + i * 24;
      const info = this.u64(at + 8);
      return {
        offset: Number(this.u64(at)),
        type: Number(info & 0xffffffffn),
        symbol: Number(info >> 32n),
        addend: this.view.getBigInt64(at + 16, true),
      };
    });
  }
}
