// SPDX-License-Identifier: GPL-2.0-only
// The DIE tree as the reader (./reader.ts) builds it: units, entries with their decoded
// attributes, references resolved to the entries they name. Plain data plus small accessors;
// what a type means (sizes, offsets, C spelling) is in ./types.ts.

import { DW_AT, DW_FORM } from "./constants.ts";
import type { Constant } from "./cursor.ts";

/**
 * A decoded attribute value:
 * - number | bigint: constants (data, sdata, udata, implicit_const), section offsets, indices
 *   (loclistx, rnglistx), addresses, and references to a supplementary file (unresolvable);
 * - string: names and other strings (string, strp, line_strp, strx);
 * - boolean: flags;
 * - Uint8Array: blocks, expressions (exprloc) and data16;
 * - Die: references (ref1..ref_udata, ref_addr, and ref_sig8 when its type unit is present).
 */
export type AttrValue = Constant | string | boolean | Uint8Array | Die;

/** One attribute of a DIE, as `Die.attributes()` lists them. */
export interface Attribute {
  name: number;
  form: number;
  value: AttrValue;
}

/** The attribute names and forms a DIE was written with (its abbreviation's), and which of
 * them the reader resolved after reading the unit (indices into `forms`). */
export interface AttributeLayout {
  readonly names: readonly number[];
  readonly forms: readonly number[];
  /** Unit-relative references (ref1, ref2, ref4, ref8, ref_udata). */
  readonly unitRefs: readonly number[];
  /** References into .debug_info (ref_addr). */
  readonly infoRefs: readonly number[];
  /** Type signatures (ref_sig8). */
  readonly signatures: readonly number[];
  /** Indexed strings and addresses (strx*, addrx*). */
  readonly indexed: readonly number[];
}

export interface DwarfUnit {
  /** Offset of the unit header in its section. */
  offset: number;
  /** Offset just past the unit. */
  end: number;
  /** ".debug_info" or ".debug_types" (DWARF 4 type units). */
  section: string;
  version: number;
  /** DW_UT value (DWARF 4 units: compile, or type in .debug_types). */
  unitType: number;
  addressSize: number;
  /** 4 (32-bit DWARF) or 8 (64-bit DWARF). */
  offsetSize: number;
  /** The unit's top DIE (compile_unit, partial_unit, type_unit). */
  root: Die | null;
  /** Type units: the signature and the type the unit describes. */
  typeSignature?: bigint;
  typeDie?: Die;
}

const noChildren: Die[] = [];

export class Die {
  /** Children in order (a shared empty array for leaves: never push to it directly). */
  children: Die[] = noChildren;

  constructor(
    /** Offset in its section (.debug_info, or .debug_types for DWARF 4 type units). */
    readonly offset: number,
    readonly tag: number,
    readonly unit: DwarfUnit,
    readonly parent: Die | null,
    /** Names and forms of the attributes (shared with every DIE of the same abbreviation). */
    readonly layout: AttributeLayout,
    /** The attribute values, in the order of `layout`. */
    readonly values: AttrValue[],
  ) {}

  addChild(child: Die): void {
    if (this.children === noChildren) this.children = [child];
    else this.children.push(child);
  }

  /** Every attribute, in order. */
  attributes(): Attribute[] {
    return this.layout.names.map((name, i) => ({
      name,
      form: this.layout.forms[i] as number,
      value: this.values[i] as AttrValue,
    }));
  }

  private indexOf(name: number): number {
    return this.layout.names.indexOf(name);
  }

  value(name: number): AttrValue | undefined {
    const i = this.indexOf(name);
    return i < 0 ? undefined : this.values[i];
  }

  form(name: number): number | undefined {
    const i = this.indexOf(name);
    return i < 0 ? undefined : this.layout.forms[i];
  }

  /** DW_AT_name, when it is a string. */
  get name(): string | undefined {
    const v = this.value(DW_AT.name);
    return typeof v === "string" ? v : undefined;
  }

  /** The entry a reference attribute names (undefined when absent or unresolvable). */
  ref(name: number): Die | undefined {
    const v = this.value(name);
    return v instanceof Die ? v : undefined;
  }

  /** DW_AT_type: the entry's type; undefined means void. */
  get type(): Die | undefined {
    return this.ref(DW_AT.type);
  }

  /** A flag attribute (DW_FORM_flag or flag_present). */
  flag(name: number): boolean {
    return this.value(name) === true;
  }

  /** An integer constant attribute (data, sdata, udata, implicit_const forms). */
  constant(name: number): Constant | undefined {
    const i = this.indexOf(name);
    if (i < 0 || !isConstantForm(this.layout.forms[i] as number)) return undefined;
    const v = this.values[i];
    return typeof v === "number" || typeof v === "bigint" ? v : undefined;
  }

  /** A constant that is a plain number (sizes, offsets, bounds). */
  number(name: number): number | undefined {
    const v = this.constant(name);
    return typeof v === "number" ? v : undefined;
  }
}

const constantForms: ReadonlySet<number> = new Set([
  DW_FORM.data1,
  DW_FORM.data2,
  DW_FORM.data4,
  DW_FORM.data8,
  DW_FORM.sdata,
  DW_FORM.udata,
  DW_FORM.implicit_const,
]);

export function isConstantForm(form: number): boolean {
  return constantForms.has(form);
}

/** What the reader found in one object. */
export interface DwarfInfo {
  /** Every unit, .debug_info first, then DWARF 4 .debug_types. */
  units: DwarfUnit[];
  /** The compile (and partial) units' top DIEs. */
  compileUnits: Die[];
  /** The type units' top DIEs (-fdebug-types-section: types gcc moved out of the compile units). */
  typeUnits: Die[];
  /** The DIE starting at an offset of .debug_info. */
  dieAt(offset: number): Die | undefined;
  /** Number of DIEs read (for benchmarks and tests). */
  dieCount: number;
}
