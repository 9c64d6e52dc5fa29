// SPDX-License-Identifier: GPL-2.0-only
// The ELF layer's public API: the typed model, the reader, the writer and the edits.
// Other stages import from here only.
export * from "./constants.ts";
export {
  type DumpGroup,
  type DumpRelocation,
  type DumpSection,
  type DumpSymbol,
  dumpElf,
  type ElfDump,
  flagString,
} from "./dump.ts";
export {
  addRelocationSection,
  addSection,
  addSymbol,
  createElfObject,
  ensureSymtab,
  type NewSection,
  type NewSymbol,
  referencesTo,
  removeSection,
  removeSections,
  removeSymbol,
  removeSymbols,
  renameSection,
  renameSymbol,
  repointRelocations,
  sectionSymbol,
} from "./edit.ts";
export { ElfError } from "./errors.ts";
export {
  type ElfHeader,
  ElfObject,
  type ElfSource,
  ElfSymbol,
  ElfSymbol as Symbol,
  type Relocation,
  Section,
  type SectionGroup,
  type SectionOrigin,
  type SpecialIndex,
  type SymbolOrigin,
} from "./model.ts";
export { type ElfNote, elfNotes } from "./notes.ts";
export { type ElfIndex, indexElf } from "./query.ts";
export { readElfFile } from "./read-file.ts";
export { readElf } from "./reader.ts";
export { renumber } from "./renumber.ts";
export { writeElf } from "./writer.ts";
