// SPDX-License-Identifier: GPL-2.0-only
// The DWARF reader's public API: readDwarf() on an ELF object, the DIE model, the constants,
// and the helpers that say what a type DIE means (sizes, member offsets, C spelling).
export * from "./constants.ts";
export type { Constant } from "./cursor.ts";
export { type Attribute, type AttrValue, Die, type DwarfInfo, type DwarfUnit } from "./model.ts";
export { type ReadDwarfOptions, readDwarf } from "./reader.ts";
export {
  arrayDimensions,
  byteSize,
  declarationText,
  definitionOf,
  isAggregate,
  isConstType,
  isDefinition,
  isQualifier,
  memberBitOffset,
  memberBitSize,
  parameterText,
  prototypeText,
  resolved,
  tagKeyword,
  typeText,
  unqualified,
} from "./types.ts";
