// SPDX-License-Identifier: GPL-2.0-only
// A plain-data view of an object (sections, symbols, relocations, groups) for `hotpatch elf
// dump`: the same structure is printed as JSON or rendered as readelf -W-like tables.
import {
  bindName,
  relocTypeName,
  SHF,
  SHN,
  sectionTypeName,
  symbolTypeName,
  visibilityName,
} from "./constants.ts";
import { ElfError } from "./errors.ts";
import type { ElfObject, ElfSymbol, Section } from "./model.ts";

export interface DumpSection {
  index: number;
  name: string;
  type: string;
  flags: string;
  flagsValue: number;
  addr: bigint;
  offset: number;
  size: number;
  entsize: number;
  link: number;
  info: number;
  addralign: number;
}

export interface DumpSymbol {
  index: number;
  name: string;
  bind: string;
  type: string;
  visibility: string;
  /** Section name, or UND / ABS / COMMON / LIVEPATCH / a hex special index. */
  section: string;
  sectionIndex: number;
  value: bigint;
  size: bigint;
}

export interface DumpRelocation {
  /** The section the relocation applies to. */
  section: string;
  /** The RELA/REL section holding it. */
  relocationSection: string;
  offset: number;
  type: string;
  /** Symbol name; for a section symbol, the section's name. */
  symbol: string;
  symbolIndex: number;
  addend: bigint;
}

export interface DumpGroup {
  section: string;
  signature: string;
  comdat: boolean;
  members: string[];
}

export interface ElfDump {
  sections: DumpSection[];
  symbols: DumpSymbol[];
  relocations: DumpRelocation[];
  groups: DumpGroup[];
}

const flagLetters: Array<[number, string]> = [
  [SHF.WRITE, "W"],
  [SHF.ALLOC, "A"],
  [SHF.EXECINSTR, "X"],
  [SHF.MERGE, "M"],
  [SHF.STRINGS, "S"],
  [SHF.INFO_LINK, "I"],
  [SHF.LINK_ORDER, "L"],
  [SHF.OS_NONCONFORMING, "O"],
  [SHF.GROUP, "G"],
  [SHF.TLS, "T"],
  [SHF.COMPRESSED, "C"],
  [SHF.GNU_RETAIN, "R"],
  [SHF.RELA_LIVEPATCH, "K"],
  [SHF.X86_64_LARGE, "l"],
  [SHF.EXCLUDE, "E"],
];
const knownFlags = flagLetters.reduce((all, [bit]) => all | bit, 0);

/** readelf-like flag letters; K marks SHF_RELA_LIVEPATCH, x any unknown bit. */
export function flagString(flags: number): string {
  const low = (flags % 0x100000000) >>> 0;
  let out = "";
  for (const [bit, letter] of flagLetters) if ((low & bit) !== 0) out += letter;
  return (low & ~knownFlags) !== 0 || flags >= 0x100000000 ? `${out}x` : out;
}

function specialIndexName(index: number): string {
  switch (index) {
    case SHN.UNDEF:
      return "UND";
    case SHN.ABS:
      return "ABS";
    case SHN.COMMON:
      return "COMMON";
    case SHN.LIVEPATCH:
      return "LIVEPATCH";
    default:
      return `0x${index.toString(16)}`;
  }
}

/** A symbol's display name: section symbols are shown by their section's name. */
export function symbolDisplayName(sym: ElfSymbol): string {
  return sym.displayName;
}

function dumpSection(s: Section): DumpSection {
  return {
    index: s.index,
    name: s.name,
    type: sectionTypeName(s.type),
    flags: flagString(s.flags),
    flagsValue: s.flags,
    addr: s.addr,
    offset: s.offset,
    size: s.contentSize,
    entsize: s.entsize,
    link: s.link,
    info: s.info,
    addralign: s.addralign,
  };
}

function dumpSymbol(sym: ElfSymbol): DumpSymbol {
  return {
    index: sym.index,
    name: sym.name,
    bind: bindName(sym.bind),
    type: symbolTypeName(sym.type),
    visibility: visibilityName(sym.visibility),
    section: typeof sym.section === "number" ? specialIndexName(sym.section) : sym.section.name,
    sectionIndex: sym.sectionIndex,
    value: sym.value,
    size: sym.size,
  };
}

/** The whole object, or only what concerns one section (`only`: its name). */
export function dumpElf(obj: ElfObject, only?: string): ElfDump {
  let sections = obj.sections;
  if (only !== undefined) {
    sections = obj.sections.filter((s) => s.name === only && s.index !== 0);
    if (sections.length === 0) throw new ElfError(`no section named '${only}'`);
  }
  const chosen = new Set(sections);
  const relocationSections = obj.sections.filter(
    (s) =>
      s.isRelocation &&
      (only === undefined || chosen.has(s) || (s.infoSection !== null && chosen.has(s.infoSection))),
  );
  const relocations: DumpRelocation[] = [];
  for (const rs of relocationSections) {
    for (const rel of rs.relocations ?? []) {
      relocations.push({
        section: rs.infoSection?.name ?? "",
        relocationSection: rs.name,
        offset: rel.offset,
        type: relocTypeName(rel.type),
        symbol: symbolDisplayName(rel.symbol),
        symbolIndex: rel.symbol.index,
        addend: rel.addend,
      });
    }
  }
  const symbols = obj.symbols.filter(
    (sym) => only === undefined || (typeof sym.section !== "number" && chosen.has(sym.section)),
  );
  const groups = obj.groups
    .filter((g) => only === undefined || chosen.has(g) || g.group?.members.some((m) => chosen.has(m)))
    .map((g) => ({
      section: g.name,
      signature: g.group ? symbolDisplayName(g.group.signature) : "",
      comdat: ((g.group?.flags ?? 0) & 1) !== 0,
      members: (g.group?.members ?? []).map((m) => m.name),
    }));
  return { sections: sections.map(dumpSection), symbols: symbols.map(dumpSymbol), relocations, groups };
}
