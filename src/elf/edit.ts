// SPDX-License-Identifier: GPL-2.0-only
// Edits later stages need: add/remove sections and symbols, rename, re-point relocations,
// and a fresh empty object to build into. Every edit keeps the model consistent (references
// are objects; indices are recomputed by renumber), so writeElf always emits valid indices.
import { ELF, SHF, SHN, SHT, STB, STT } from "./constants.ts";
import { ElfError } from "./errors.ts";
import { ElfObject, ElfSymbol, type Relocation, Section, type SpecialIndex } from "./model.ts";
import { renumber } from "./renumber.ts";

export interface NewSection {
  name: string;
  type: number;
  flags?: number;
  /** Contents (not for NOBITS). */
  data?: Uint8Array;
  /** Size of a NOBITS section. */
  size?: number;
  addralign?: number;
  entsize?: number;
  addr?: bigint;
  linkSection?: Section | null;
  infoSection?: Section | null;
  /** sh_info for sections whose info is not a section (ignored when infoSection is given). */
  info?: number;
  relocations?: Relocation[];
}

/** Adds a section (at the end, or just before `before`) and returns it. */
export function addSection(
  obj: ElfObject,
  init: NewSection,
  options: { before?: Section; after?: Section } = {},
): Section {
  const section = new Section({
    name: init.name,
    type: init.type,
    flags: init.flags ?? 0,
    data: init.type === SHT.NOBITS ? new Uint8Array(0) : (init.data ?? new Uint8Array(0)),
    size: init.type === SHT.NOBITS ? (init.size ?? 0) : (init.data?.length ?? 0),
    addralign: init.addralign ?? 1,
    entsize: init.entsize ?? 0,
    addr: init.addr ?? 0n,
    linkSection: init.linkSection ?? null,
    infoSection: init.infoSection ?? null,
    info: init.info ?? 0,
    relocations: init.relocations ?? (init.type === SHT.RELA || init.type === SHT.REL ? [] : null),
  });
  let at = obj.sections.length;
  if (options.before) at = indexIn(obj, options.before);
  else if (options.after) at = indexIn(obj, options.after) + 1;
  obj.sections.splice(at, 0, section);
  renumber(obj);
  return section;
}

function indexIn(obj: ElfObject, section: Section): number {
  const at = obj.sections.indexOf(section);
  if (at < 0) throw new ElfError(`section '${section.name}' is not in the object`);
  return at;
}

/** Adds `.rela<target>` (right after the target) holding the given relocations. */
export function addRelocationSection(
  obj: ElfObject,
  target: Section,
  relocations: Relocation[] = [],
  options: { name?: string; flags?: number } = {},
): Section {
  const symtab = obj.symtab ?? ensureSymtab(obj);
  return addSection(
    obj,
    {
      name: options.name ?? `.rela${target.name}`,
      type: SHT.RELA,
      flags: options.flags ?? SHF.INFO_LINK,
      addralign: 8,
      entsize: ELF.RELA_SIZE,
      linkSection: symtab,
      infoSection: target,
      relocations,
    },
    { after: target },
  );
}

export interface NewSymbol {
  name: string;
  bind?: number;
  type?: number;
  visibility?: number;
  section?: Section | SpecialIndex;
  value?: bigint;
  size?: bigint;
}

/** Adds a symbol: a local goes after the last local, anything else at the end. */
export function addSymbol(obj: ElfObject, init: NewSymbol): ElfSymbol {
  if (!obj.symtab) ensureSymtab(obj);
  const sym = new ElfSymbol({
    name: init.name,
    bind: init.bind ?? STB.GLOBAL,
    type: init.type ?? STT.NOTYPE,
    visibility: init.visibility ?? 0,
    section: init.section ?? SHN.UNDEF,
    value: init.value ?? 0n,
    size: init.size ?? 0n,
  });
  if (typeof sym.section !== "number") indexIn(obj, sym.section);
  if (sym.isLocal) {
    let at = 1;
    while (at < obj.symbols.length && (obj.symbols[at] as ElfSymbol).isLocal) at++;
    obj.symbols.splice(at, 0, sym);
  } else {
    obj.symbols.push(sym);
  }
  renumber(obj);
  return sym;
}

/** The STT_SECTION symbol of a section, created if missing (relocations against sections use it). */
export function sectionSymbol(obj: ElfObject, section: Section): ElfSymbol {
  const found = obj.symbols.find((s) => s.type === STT.SECTION && s.section === section);
  return found ?? addSymbol(obj, { name: "", bind: STB.LOCAL, type: STT.SECTION, section });
}

/** Relocations (with their section) that refer to a symbol. */
export function referencesTo(
  obj: ElfObject,
  symbol: ElfSymbol,
): Array<{ section: Section; relocation: Relocation }> {
  const found: Array<{ section: Section; relocation: Relocation }> = [];
  for (const section of obj.sections) {
    for (const relocation of section.relocations ?? [])
      if (relocation.symbol === symbol) found.push({ section, relocation });
  }
  return found;
}

/** Removes symbols; refuses when a relocation or group that stays still refers to one. */
export function removeSymbols(obj: ElfObject, symbols: Iterable<ElfSymbol>): void {
  const doomed = new Set(symbols);
  if (doomed.size === 0) return;
  if (obj.symbols[0] && doomed.has(obj.symbols[0])) throw new ElfError("the null symbol cannot be removed");
  for (const section of obj.sections) {
    for (const rel of section.relocations ?? []) {
      if (doomed.has(rel.symbol)) {
        throw new ElfError(
          `cannot remove symbol '${rel.symbol.name}': relocation at 0x${rel.offset.toString(16)} in '${section.name}' refers to it`,
        );
      }
    }
    if (section.group && doomed.has(section.group.signature)) {
      throw new ElfError(
        `cannot remove symbol '${section.group.signature.name}': it is the signature of group '${section.name}'`,
      );
    }
  }
  obj.symbols = obj.symbols.filter((s) => !doomed.has(s));
  renumber(obj);
}

export function removeSymbol(obj: ElfObject, symbol: ElfSymbol): void {
  removeSymbols(obj, [symbol]);
}

/**
 * Removes sections, and with them what cannot outlive them: relocation sections applying to
 * them, SHF_LINK_ORDER/SHF_INFO_LINK sections tied to them (e.g. __patchable_function_entries),
 * symbols defined in them, their group memberships, and groups left empty. Refuses when a
 * remaining relocation refers to a symbol that goes. Returns everything removed.
 */
export function removeSections(
  obj: ElfObject,
  sections: Iterable<Section>,
): { sections: Section[]; symbols: ElfSymbol[] } {
  const doomed = new Set<Section>(sections);
  for (const s of doomed) {
    indexIn(obj, s);
    if (s.index === 0) throw new ElfError("the null section cannot be removed");
    if (s.type === SHT.SYMTAB || s === obj.symtab?.linkSection || s === obj.shstrtab) {
      throw new ElfError(`section '${s.name}' holds the symbol or section names and cannot be removed`);
    }
  }
  // Cascade until stable: dependants of removed sections go too.
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of obj.sections) {
      if (doomed.has(s)) continue;
      const dependsOnDoomed =
        (s.infoSection !== null && doomed.has(s.infoSection)) ||
        (s.linkSection !== null && doomed.has(s.linkSection) && (s.flags & SHF.LINK_ORDER) !== 0) ||
        (s.group !== null && s.group.members.length > 0 && s.group.members.every((m) => doomed.has(m)));
      if (dependsOnDoomed) {
        doomed.add(s);
        grew = true;
      }
    }
  }
  for (const s of obj.sections) {
    if (!doomed.has(s) && s.linkSection && doomed.has(s.linkSection)) {
      throw new ElfError(`cannot remove section '${s.linkSection.name}': section '${s.name}' links to it`);
    }
  }
  const goneSymbols = obj.symbols.filter((sym) => typeof sym.section !== "number" && doomed.has(sym.section));
  const goneSet = new Set(goneSymbols);
  for (const s of obj.sections) {
    if (doomed.has(s)) continue;
    for (const rel of s.relocations ?? []) {
      if (goneSet.has(rel.symbol)) {
        throw new ElfError(
          `cannot remove section '${(rel.symbol.section as Section).name}': relocation at 0x${rel.offset.toString(16)} in '${s.name}' refers to its symbol '${rel.symbol.displayName}'`,
        );
      }
    }
    if (s.group) {
      if (goneSet.has(s.group.signature))
        throw new ElfError(
          `cannot remove the section defining '${s.group.signature.name}', the signature of group '${s.name}'`,
        );
      s.group.members = s.group.members.filter((m) => !doomed.has(m));
    }
  }
  const removed = obj.sections.filter((s) => doomed.has(s));
  obj.sections = obj.sections.filter((s) => !doomed.has(s));
  obj.symbols = obj.symbols.filter((sym) => !goneSet.has(sym));
  renumber(obj);
  return { sections: removed, symbols: goneSymbols };
}

export function removeSection(
  obj: ElfObject,
  section: Section,
): { sections: Section[]; symbols: ElfSymbol[] } {
  return removeSections(obj, [section]);
}

/** Renames a section (the name tables are rebuilt by the writer). */
export function renameSection(section: Section, name: string): void {
  section.name = name;
}

export function renameSymbol(symbol: ElfSymbol, name: string): void {
  symbol.name = name;
}

/** Points every relocation that refers to `from` at `to`; returns how many changed. */
export function repointRelocations(obj: ElfObject, from: ElfSymbol, to: ElfSymbol): number {
  let changed = 0;
  for (const section of obj.sections) {
    for (const rel of section.relocations ?? []) {
      if (rel.symbol === from) {
        rel.symbol = to;
        changed++;
      }
    }
  }
  return changed;
}

/** Adds an empty .symtab and .strtab (with the null symbol) to an object that has none. */
export function ensureSymtab(obj: ElfObject): Section {
  const existing = obj.symtab;
  if (existing) return existing;
  const strtab = addSection(obj, { name: ".strtab", type: SHT.STRTAB, data: new Uint8Array(1) });
  const symtab = addSection(
    obj,
    { name: ".symtab", type: SHT.SYMTAB, addralign: 8, entsize: ELF.SYM_SIZE, linkSection: strtab },
    { before: strtab },
  );
  obj.symbols = [new ElfSymbol()];
  renumber(obj);
  return symtab;
}

/** A new, empty x86_64 relocatable object: null section, .symtab, .strtab, .shstrtab. */
export function createElfObject(): ElfObject {
  const ident = new Uint8Array(16);
  ident.set(ELF.MAGIC, 0);
  ident[4] = ELF.CLASS64;
  ident[5] = ELF.DATA2LSB;
  ident[6] = ELF.EV_CURRENT;
  const nullSection = new Section({ type: SHT.NULL, addralign: 0 });
  const obj = new ElfObject({
    header: {
      ident,
      type: ELF.ET_REL,
      machine: ELF.EM_X86_64,
      version: ELF.EV_CURRENT,
      entry: 0n,
      flags: 0,
      phentsize: 0,
    },
    sections: [nullSection],
    symbols: [],
    shstrtab: null,
  });
  ensureSymtab(obj);
  obj.shstrtab = addSection(obj, { name: ".shstrtab", type: SHT.STRTAB, data: new Uint8Array(1) });
  return obj;
}
