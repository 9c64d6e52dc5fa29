// SPDX-License-Identifier: GPL-2.0-only
// ELF64 constants used by hotpatch (x86_64, relocatable objects), as typed `as const` objects.
// Values come from the System V gABI, the x86_64 psABI and the kernel's livepatch ELF format.

/** Section header types (sh_type). */
export const SHT = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  HASH: 5,
  DYNAMIC: 6,
  NOTE: 7,
  NOBITS: 8,
  REL: 9,
  SHLIB: 10,
  DYNSYM: 11,
  INIT_ARRAY: 14,
  FINI_ARRAY: 15,
  PREINIT_ARRAY: 16,
  GROUP: 17,
  SYMTAB_SHNDX: 18,
  X86_64_UNWIND: 0x70000001,
  GNU_ATTRIBUTES: 0x6ffffff5,
  GNU_HASH: 0x6ffffff6,
  LLVM_ADDRSIG: 0x6fff4c03,
} as const;

/** Section flags (sh_flags). Flags are held as numbers: every defined flag is below 2^32. */
export const SHF = {
  WRITE: 0x1,
  ALLOC: 0x2,
  EXECINSTR: 0x4,
  MERGE: 0x10,
  STRINGS: 0x20,
  INFO_LINK: 0x40,
  LINK_ORDER: 0x80,
  OS_NONCONFORMING: 0x100,
  GROUP: 0x200,
  TLS: 0x400,
  COMPRESSED: 0x800,
  GNU_RETAIN: 0x200000,
  /** Linux livepatch: a `.klp.rela.*` section applied by the livepatch core, not the module loader. */
  RELA_LIVEPATCH: 0x00100000,
  X86_64_LARGE: 0x10000000,
  EXCLUDE: 0x80000000,
} as const;

/** Symbol binding (high nibble of st_info). */
export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2, GNU_UNIQUE: 10 } as const;

/** Symbol type (low nibble of st_info). */
export const STT = {
  NOTYPE: 0,
  OBJECT: 1,
  FUNC: 2,
  SECTION: 3,
  FILE: 4,
  COMMON: 5,
  TLS: 6,
  GNU_IFUNC: 10,
} as const;

/** Symbol visibility (low 2 bits of st_other). */
export const STV = { DEFAULT: 0, INTERNAL: 1, HIDDEN: 2, PROTECTED: 3 } as const;

/** Special section indices (st_shndx, e_shstrndx). */
export const SHN = {
  UNDEF: 0,
  LORESERVE: 0xff00,
  /** Linux livepatch: a `.klp.sym.*` symbol resolved by the livepatch core. */
  LIVEPATCH: 0xff20,
  ABS: 0xfff1,
  COMMON: 0xfff2,
  XINDEX: 0xffff,
} as const;

/** Section group flags (first word of a SHT_GROUP section). */
export const GRP = { COMDAT: 0x1 } as const;

/** ELF header values hotpatch accepts or writes. */
export const ELF = {
  MAGIC: [0x7f, 0x45, 0x4c, 0x46],
  CLASS64: 2,
  DATA2LSB: 1,
  EV_CURRENT: 1,
  ET_REL: 1,
  EM_X86_64: 62,
  EHDR_SIZE: 64,
  SHDR_SIZE: 64,
  SYM_SIZE: 24,
  RELA_SIZE: 24,
  REL_SIZE: 16,
} as const;

/** x86_64 relocation types (psABI), by name. */
export const R_X86_64 = {
  NONE: 0,
  "64": 1,
  PC32: 2,
  GOT32: 3,
  PLT32: 4,
  COPY: 5,
  GLOB_DAT: 6,
  JUMP_SLOT: 7,
  RELATIVE: 8,
  GOTPCREL: 9,
  "32": 10,
  "32S": 11,
  "16": 12,
  PC16: 13,
  "8": 14,
  PC8: 15,
  DTPMOD64: 16,
  DTPOFF64: 17,
  TPOFF64: 18,
  TLSGD: 19,
  TLSLD: 20,
  DTPOFF32: 21,
  GOTTPOFF: 22,
  TPOFF32: 23,
  PC64: 24,
  GOTOFF64: 25,
  GOTPC32: 26,
  GOT64: 27,
  GOTPCREL64: 28,
  GOTPC64: 29,
  GOTPLT64: 30,
  PLTOFF64: 31,
  SIZE32: 32,
  SIZE64: 33,
  GOTPC32_TLSDESC: 34,
  TLSDESC_CALL: 35,
  TLSDESC: 36,
  IRELATIVE: 37,
  RELATIVE64: 38,
  GOTPCRELX: 41,
  REX_GOTPCRELX: 42,
} as const;

const relocNames = new Map<number, string>(Object.entries(R_X86_64).map(([name, value]) => [value, name]));

/** "R_X86_64_PC32" for 2; an unknown type prints as its number so nothing is hidden. */
export function relocTypeName(type: number): string {
  const name = relocNames.get(type);
  return name === undefined ? `R_X86_64_<unknown ${type}>` : `R_X86_64_${name}`;
}

function reverse(table: Record<string, number>): Map<number, string> {
  return new Map(Object.entries(table).map(([name, value]) => [value, name]));
}
const shtNames = reverse(SHT);
const stbNames = reverse(STB);
const sttNames = reverse(STT);
const stvNames = reverse(STV);

/** readelf's spelling of a section type ("PROGBITS"), or its hex value. */
export function sectionTypeName(type: number): string {
  return shtNames.get(type) ?? `0x${type.toString(16)}`;
}
export function bindName(bind: number): string {
  return stbNames.get(bind) ?? `<${bind}>`;
}
export function symbolTypeName(type: number): string {
  return sttNames.get(type) ?? `<${type}>`;
}
export function visibilityName(visibility: number): string {
  return stvNames.get(visibility) ?? `<${visibility}>`;
}
