// SPDX-License-Identifier: GPL-2.0-only
// Abbreviation tables (.debug_abbrev): each DIE starts with a code that names its tag, whether
// it has children, and the (attribute, form) pairs that follow. A table is read once per
// offset and shared by the units that use it.

import { DW_FORM, formName } from "./constants.ts";
import type { Constant } from "./cursor.ts";
import { Cursor } from "./cursor.ts";
import type { AttributeLayout } from "./model.ts";
import type { DebugSection } from "./sections.ts";

/** What the reader resolves after a unit is read (see AttributeLayout). */
export type FormClasses = Pick<AttributeLayout, "unitRefs" | "infoRefs" | "signatures" | "indexed">;

export interface Abbrev extends AttributeLayout {
  code: number;
  tag: number;
  hasChildren: boolean;
  /** Attribute names, in order. */
  names: number[];
  /** Their forms, in order. */
  forms: number[];
  /** The value of each DW_FORM_implicit_const attribute (undefined for other forms). */
  implicit: Array<Constant | undefined>;
}

const unitRefForms: ReadonlySet<number> = new Set([
  DW_FORM.ref1,
  DW_FORM.ref2,
  DW_FORM.ref4,
  DW_FORM.ref8,
  DW_FORM.ref_udata,
]);
const indexedForms: ReadonlySet<number> = new Set([
  DW_FORM.strx,
  DW_FORM.strx1,
  DW_FORM.strx2,
  DW_FORM.strx3,
  DW_FORM.strx4,
  DW_FORM.GNU_str_index,
  DW_FORM.addrx,
  DW_FORM.addrx1,
  DW_FORM.addrx2,
  DW_FORM.addrx3,
  DW_FORM.addrx4,
  DW_FORM.GNU_addr_index,
]);

/** Sorts the attributes of a layout into the classes the reader resolves later. */
export function classifyForms(forms: readonly number[]): FormClasses {
  const unitRefs: number[] = [];
  const infoRefs: number[] = [];
  const signatures: number[] = [];
  const indexed: number[] = [];
  forms.forEach((form, i) => {
    if (unitRefForms.has(form)) unitRefs.push(i);
    else if (form === DW_FORM.ref_addr) infoRefs.push(i);
    else if (form === DW_FORM.ref_sig8) signatures.push(i);
    else if (indexedForms.has(form)) indexed.push(i);
  });
  return { unitRefs, infoRefs, signatures, indexed };
}

export interface AbbrevTable {
  /** By code; codes are dense in practice, so an array (holes for unused codes). */
  byCode: Array<Abbrev | undefined>;
  /** Codes too large for the array (sparse tables). */
  sparse: Map<number, Abbrev>;
}

/** Every form DWARF 2–5 and the GNU extensions define; anything else cannot be skipped. */
const knownForms: ReadonlySet<number> = new Set(Object.values(DW_FORM));

export function isKnownForm(form: number): boolean {
  return knownForms.has(form);
}

export function lookupAbbrev(table: AbbrevTable, code: number): Abbrev | undefined {
  return code < table.byCode.length ? table.byCode[code] : table.sparse.get(code);
}

/** Reads the table at `offset` of .debug_abbrev. */
export function readAbbrevTable(section: DebugSection, offset: number): AbbrevTable {
  const table: AbbrevTable = { byCode: [], sparse: new Map() };
  if (offset >= section.bytes.length)
    throw new Cursor(section, 0, section.bytes.length).error(
      `abbreviation table offset 0x${offset.toString(16)} is past the end of the section (${section.bytes.length} bytes)`,
      0,
    );
  const c = new Cursor(section, offset, section.bytes.length);
  for (;;) {
    const at = c.pos;
    const code = c.uleb("abbreviation code");
    if (code === 0) break;
    if (lookupAbbrev(table, code) !== undefined)
      throw c.error(`abbreviation ${code} is defined twice in the table at 0x${offset.toString(16)}`, at);
    const tag = c.uleb("abbreviation tag");
    const children = c.u8("abbreviation children flag");
    if (children > 1) throw c.error(`abbreviation ${code} has children flag ${children} (not 0 or 1)`, at);
    const names: number[] = [];
    const forms: number[] = [];
    const implicit: Array<Constant | undefined> = [];
    for (;;) {
      const name = c.uleb("attribute name");
      const formAt = c.pos;
      const form = c.uleb("attribute form");
      if (name === 0 && form === 0) break;
      if (!knownForms.has(form))
        throw c.error(`abbreviation ${code} uses unknown form ${formName(form)}`, formAt);
      names.push(name);
      forms.push(form);
      implicit.push(form === DW_FORM.implicit_const ? c.slebConstant("implicit constant") : undefined);
    }
    const abbrev: Abbrev = {
      code,
      tag,
      hasChildren: children === 1,
      names,
      forms,
      implicit,
      ...classifyForms(forms),
    };
    if (code < 0x10000) table.byCode[code] = abbrev;
    else table.sparse.set(code, abbrev);
  }
  return table;
}
