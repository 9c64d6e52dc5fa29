// SPDX-License-Identifier: GPL-2.0-only
// The ELF layer's public API: the typed model, the reader, the writer and the edits.
// Other stages import from here only.
export * from "./constants.ts";
export { ElfError } from "./errors.ts";
export {
  type ElfHeader,
  ElfObject,
  ElfSymbol,
  ElfSymbol as Symbol,
  type ElfSource,
  type Relocation,
  Section,
  type SectionGroup,
  type SectionOrigin,
  type SpecialIndex,
  type SymbolOrigin,
} from "./model.ts";
export { readElf } from "./reader.ts";
export { renumber } from "./renumber.ts";
export { writeElf } from "./writer.ts";
