// SPDX-License-Identifier: GPL-2.0-only
// Lookup tables over a model, built in one pass, for stages that ask many questions of the
// same object (the ElfObject methods scan linearly; this is the fast path for bulk work).
// An index is a snapshot: build a new one after editing the object.
import type { ElfObject, ElfSymbol, Relocation, Section } from "./model.ts";

export interface ElfIndex {
  /** Sections by name (names can repeat). */
  sectionsByName: Map<string, Section[]>;
  /** Symbols by name (local names can repeat). */
  symbolsByName: Map<string, ElfSymbol[]>;
  /** Symbols defined in each section, in symbol table order. */
  symbolsBySection: Map<Section, ElfSymbol[]>;
  /** Relocations applying to each section, in file order. */
  relocationsByTarget: Map<Section, Relocation[]>;
  /** The RELA/REL sections applying to each section. */
  relocationSectionsByTarget: Map<Section, Section[]>;
  /** Every relocation that refers to each symbol, with the section holding it. */
  referencesBySymbol: Map<ElfSymbol, Array<{ section: Section; relocation: Relocation }>>;
  /** The GROUP section each member belongs to. */
  groupOf: Map<Section, Section>;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function indexElf(obj: ElfObject): ElfIndex {
  const index: ElfIndex = {
    sectionsByName: new Map(),
    symbolsByName: new Map(),
    symbolsBySection: new Map(),
    relocationsByTarget: new Map(),
    relocationSectionsByTarget: new Map(),
    referencesBySymbol: new Map(),
    groupOf: new Map(),
  };
  for (const section of obj.sections) {
    if (section.index === 0) continue;
    push(index.sectionsByName, section.name, section);
    if (section.isRelocation && section.infoSection) {
      push(index.relocationSectionsByTarget, section.infoSection, section);
      const relocations = section.relocations ?? [];
      const existing = index.relocationsByTarget.get(section.infoSection);
      if (existing) existing.push(...relocations);
      else index.relocationsByTarget.set(section.infoSection, relocations.slice());
    }
    for (const relocation of section.relocations ?? [])
      push(index.referencesBySymbol, relocation.symbol, { section, relocation });
    for (const member of section.group?.members ?? []) index.groupOf.set(member, section);
  }
  for (const symbol of obj.symbols) {
    if (symbol.index === 0) continue;
    push(index.symbolsByName, symbol.name, symbol);
    if (typeof symbol.section !== "number") push(index.symbolsBySection, symbol.section, symbol);
  }
  return index;
}
