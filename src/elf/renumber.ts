// SPDX-License-Identifier: GPL-2.0-only
// Gives every section and symbol its index from its position, puts local symbols first, and
// derives the index fields (sh_link, sh_info) from the object references of the model.
// Edits call it; the writer calls it before encoding, so indices are never stale in the output.
import { SHF, SHT } from "./constants.ts";
import { ElfError } from "./errors.ts";
import type { ElfObject, ElfSymbol, Section } from "./model.ts";

/** Stable partition: the null symbol, then locals, then globals/weak (what sh_info counts). */
function orderSymbols(symbols: ElfSymbol[]): ElfSymbol[] {
  let sorted = true;
  let seenGlobal = false;
  for (let i = 1; i < symbols.length; i++) {
    const local = (symbols[i] as ElfSymbol).isLocal;
    if (!local) seenGlobal = true;
    else if (seenGlobal) {
      sorted = false;
      break;
    }
  }
  if (sorted) return symbols;
  const head = symbols.slice(0, 1);
  const rest = symbols.slice(1);
  return [...head, ...rest.filter((s) => s.isLocal), ...rest.filter((s) => !s.isLocal)];
}

function sectionIndexOf(obj: ElfObject, section: Section, user: string): number {
  if (obj.sections[section.index] !== section) {
    throw new ElfError(`${user} refers to section '${section.name}', which is not in the object`);
  }
  return section.index;
}

const linkedTypes: ReadonlySet<number> = new Set([
  SHT.SYMTAB,
  SHT.RELA,
  SHT.REL,
  SHT.GROUP,
  SHT.SYMTAB_SHNDX,
  SHT.HASH,
  SHT.DYNAMIC,
  SHT.DYNSYM,
  SHT.GNU_HASH,
]);

function linkIsSectionIndex(s: Section): boolean {
  return linkedTypes.has(s.type) || (s.flags & SHF.LINK_ORDER) !== 0 || s.origin?.linked === true;
}

/** Symbols' indices and order; sections' indices, sh_link and sh_info. */
export function renumber(obj: ElfObject): void {
  const sections = obj.sections;
  for (let i = 0; i < sections.length; i++) (sections[i] as Section).index = i;
  const symbols = orderSymbols(obj.symbols);
  if (symbols !== obj.symbols) obj.symbols = symbols;
  let firstGlobal = symbols.length;
  for (let i = 0; i < symbols.length; i++) {
    const sym = symbols[i] as ElfSymbol;
    sym.index = i;
    if (i > 0 && firstGlobal === symbols.length && !sym.isLocal) firstGlobal = i;
  }
  for (const s of sections) {
    if (s.index === 0) continue;
    if (s.linkSection) s.link = sectionIndexOf(obj, s.linkSection, `section '${s.name}' (sh_link)`);
    // A link that named a section and was cleared must not keep a stale index.
    else if (linkIsSectionIndex(s)) s.link = 0;
    if (s.type === SHT.SYMTAB) s.info = firstGlobal;
    else if (s.infoSection) s.info = sectionIndexOf(obj, s.infoSection, `section '${s.name}' (sh_info)`);
    else if (s.type === SHT.GROUP && s.group)
      s.info = symbolIndexOf(obj, s.group.signature, `group '${s.name}'`);
    else if ((s.isRelocation || (s.flags & SHF.INFO_LINK) !== 0) && s.info !== 0 && !s.infoSection) {
      throw new ElfError(`section '${s.name}' has sh_info ${s.info} but no target section`);
    }
  }
}

export function symbolIndexOf(obj: ElfObject, symbol: ElfSymbol, user: string): number {
  if (obj.symbols[symbol.index] !== symbol) {
    throw new ElfError(`${user} refers to symbol '${symbol.name}', which is not in the object`);
  }
  return symbol.index;
}
