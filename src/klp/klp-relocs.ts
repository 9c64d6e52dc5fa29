// SPDX-License-Identifier: GPL-2.0-only
// Post-processing of the linked module: kbuild cannot emit livepatch relocations, so the patch
// objects refer to non-exported kernel symbols through weak undefined `.klp.sym.*` symbols
// (weak, so modpost does not reject them as unresolved). Here their relocations move from
// `.rela<sec>` into `.klp.rela.<objname>.<sec>` (SHF_RELA_LIVEPATCH), and the symbols get
// st_shndx SHN_LIVEPATCH, which is what kernel/livepatch/core.c (klp_resolve_symbols,
// klp_apply_section_relocs) and Documentation/livepatch/module-elf-format.rst expect.
import {
  type ElfObject,
  type ElfSymbol,
  type Relocation,
  renumber,
  Section,
  SHF,
  SHN,
  SHT,
  STB,
} from "../elf/index.ts";

const KLP_SYM = /^\.klp\.sym\.([^.]+)\.([^,]+),(\d+)$/;

export interface KlpRelocSummary {
  /** `.klp.rela.*` sections created, with their relocation counts. */
  sections: Array<{ name: string; relocations: number }>;
  symbols: string[];
}

/**
 * Which klp object's relocation section a relocation belongs to when its symbol lives in a
 * module that is not itself patched (a module the patched one depends on): the kernel applies
 * `.klp.rela.<obj>.*` only for the patch's own objects, so such relocations go with the
 * object that owns the section they patch.
 */
export interface KlpRelocHosts {
  /** The patch's klp objects ("vmlinux" and module names). */
  patched: ReadonlySet<string>;
  /** Section name of the linked module -> the klp object whose code it holds. */
  sectionObject: ReadonlyMap<string, string>;
}

/** The `.klp.rela.<obj>` object for a relocation against `symObj` in section `target`. */
function relaObject(symObj: string, target: string, hosts: KlpRelocHosts | undefined): string {
  if (!hosts || symObj === "vmlinux" || hosts.patched.has(symObj)) return symObj;
  return hosts.sectionObject.get(target) ?? symObj;
}

/** Rewrites the module in place; returns what was converted. */
export function convertKlpRelocations(ko: ElfObject, hosts?: KlpRelocHosts): KlpRelocSummary {
  const klpSyms = new Map<ElfSymbol, string>();
  for (const s of ko.symbols) {
    const m = KLP_SYM.exec(s.name);
    if (m && (s.section === SHN.UNDEF || s.section === SHN.LIVEPATCH)) klpSyms.set(s, m[1] as string);
  }
  const created = new Map<string, Section>();
  const symtab = ko.symtab;
  if (!symtab) throw new Error("the module has no symbol table");
  for (const rela of [...ko.sections]) {
    if (rela.type !== SHT.RELA || !rela.infoSection || rela.name.startsWith(".klp.rela.")) continue;
    const stay: Relocation[] = [];
    for (const rel of rela.relocations ?? []) {
      const objName = klpSyms.get(rel.symbol);
      if (objName === undefined) {
        stay.push(rel);
        continue;
      }
      const target = rela.infoSection;
      const name = `.klp.rela.${relaObject(objName, target.name, hosts)}.${target.name}`;
      let sec = created.get(name);
      if (!sec) {
        sec = new Section({
          name,
          type: SHT.RELA,
          flags: SHF.ALLOC | SHF.INFO_LINK | SHF.RELA_LIVEPATCH,
          addralign: 8,
          entsize: 24,
          linkSection: symtab,
          infoSection: target,
          relocations: [],
        });
        created.set(name, sec);
      }
      sec.relocations?.push(rel);
    }
    rela.relocations = stay;
  }
  // New sections go before the symbol table so that existing section indices stay put.
  const at = ko.sections.indexOf(symtab);
  ko.sections.splice(at, 0, ...created.values());
  for (const s of klpSyms.keys()) {
    s.section = SHN.LIVEPATCH;
    s.bind = STB.GLOBAL;
  }
  renumber(ko);
  return {
    sections: [...created.values()].map((s) => ({ name: s.name, relocations: s.relocations?.length ?? 0 })),
    symbols: [...klpSyms.keys()].map((s) => s.name),
  };
}
