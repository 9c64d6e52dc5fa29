// SPDX-License-Identifier: GPL-2.0-only
// The differ's view of one object: sections with their relocations and defined symbols,
// indexed for the lookups correlation and comparison need. Built once per object from the
// ELF model (src/elf) by fromElf() in ./from-elf.ts; everything else in src/diff uses this.

export interface DSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  size: number;
  entsize: number;
  /** Contents (empty for NOBITS). */
  data: Uint8Array;
  /** Relocations applying to this section, sorted by offset. */
  relocs: DReloc[];
  /** Function and object symbols defined in this section, sorted by value. */
  symbols: DSymbol[];
}

export interface DSymbol {
  index: number;
  name: string;
  type: number;
  bind: number;
  /** Undefined for SHN_UNDEF / ABS / COMMON symbols. */
  section?: DSection;
  shndx: number;
  value: number;
  size: number;
  /** Memo of isSpecialStatic() (predicates.ts). */
  special?: boolean;
}

export interface DReloc {
  offset: number;
  type: number;
  symbol: DSymbol;
  addend: number;
}

export interface DiffObject {
  sections: DSection[];
  symbols: DSymbol[];
  sectionByName: Map<string, DSection>;
}

/** The relocations of `sec` whose offset is in [start, end), by binary search. */
export function relocsIn(sec: DSection, start: number, end: number): DReloc[] {
  const relocs = sec.relocs;
  let lo = 0;
  let hi = relocs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((relocs[mid] as DReloc).offset < start) lo = mid + 1;
    else hi = mid;
  }
  const out: DReloc[] = [];
  for (let i = lo; i < relocs.length; i++) {
    const r = relocs[i] as DReloc;
    if (r.offset >= end) break;
    out.push(r);
  }
  return out;
}

/** The function/object symbol of `sec` covering byte `offset` (a zero-size symbol covers its own start). */
export function symbolAt(sec: DSection, offset: number): DSymbol | undefined {
  const syms = sec.symbols;
  let lo = 0;
  let hi = syms.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((syms[mid] as DSymbol).value <= offset) lo = mid + 1;
    else hi = mid;
  }
  // syms[lo-1] is the last symbol starting at or before offset; scan back over overlaps.
  for (let i = lo - 1; i >= 0 && i >= lo - 4; i--) {
    const s = syms[i] as DSymbol;
    if (offset < s.value + s.size || (s.size === 0 && offset === s.value)) return s;
  }
  return undefined;
}

/** Builds the indexes; sections and symbols must already be linked. */
export function finishObject(sections: DSection[], symbols: DSymbol[]): DiffObject {
  const sectionByName = new Map<string, DSection>();
  for (const sec of sections) if (!sectionByName.has(sec.name)) sectionByName.set(sec.name, sec);
  for (const sec of sections) {
    sec.relocs.sort((a, b) => a.offset - b.offset);
    sec.symbols.sort((a, b) => a.value - b.value || b.size - a.size);
  }
  return { sections, symbols, sectionByName };
}
