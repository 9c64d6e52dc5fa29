// SPDX-License-Identifier: GPL-2.0-only
// DWARF constants hotpatch reads (DWARF 5 standard, with the DWARF 4 and GNU values gcc still
// emits), as typed `as const` objects. Only what the reader and the layout comparison use.

/** Unit types (DWARF 5 unit headers). */
export const DW_UT = {
  compile: 0x01,
  type: 0x02,
  partial: 0x03,
  skeleton: 0x04,
  split_compile: 0x05,
  split_type: 0x06,
} as const;

/** Tags of debugging information entries. */
export const DW_TAG = {
  array_type: 0x01,
  enumeration_type: 0x04,
  formal_parameter: 0x05,
  label: 0x0a,
  lexical_block: 0x0b,
  member: 0x0d,
  pointer_type: 0x0f,
  reference_type: 0x10,
  compile_unit: 0x11,
  structure_type: 0x13,
  subroutine_type: 0x15,
  typedef: 0x16,
  union_type: 0x17,
  unspecified_parameters: 0x18,
  inlined_subroutine: 0x1d,
  subrange_type: 0x21,
  base_type: 0x24,
  const_type: 0x26,
  enumerator: 0x28,
  subprogram: 0x2e,
  variable: 0x34,
  volatile_type: 0x35,
  restrict_type: 0x37,
  unspecified_type: 0x3b,
  partial_unit: 0x3c,
  type_unit: 0x41,
  atomic_type: 0x47,
  call_site: 0x48,
  call_site_parameter: 0x49,
  skeleton_unit: 0x4a,
  immutable_type: 0x4b,
  GNU_call_site: 0x4109,
  GNU_call_site_parameter: 0x410a,
} as const;

/** Attribute names. */
export const DW_AT = {
  sibling: 0x01,
  location: 0x02,
  name: 0x03,
  byte_size: 0x0b,
  bit_offset: 0x0c,
  bit_size: 0x0d,
  low_pc: 0x11,
  language: 0x13,
  comp_dir: 0x1b,
  const_value: 0x1c,
  lower_bound: 0x22,
  producer: 0x25,
  prototyped: 0x27,
  upper_bound: 0x2f,
  abstract_origin: 0x31,
  count: 0x37,
  data_member_location: 0x38,
  declaration: 0x3c,
  encoding: 0x3e,
  external: 0x3f,
  specification: 0x47,
  type: 0x49,
  data_bit_offset: 0x6b,
  signature: 0x69,
  linkage_name: 0x6e,
  str_offsets_base: 0x72,
  addr_base: 0x73,
  alignment: 0x88,
} as const;

/** Attribute forms (encodings). */
export const DW_FORM = {
  addr: 0x01,
  block2: 0x03,
  block4: 0x04,
  data2: 0x05,
  data4: 0x06,
  data8: 0x07,
  string: 0x08,
  block: 0x09,
  block1: 0x0a,
  data1: 0x0b,
  flag: 0x0c,
  sdata: 0x0d,
  strp: 0x0e,
  udata: 0x0f,
  ref_addr: 0x10,
  ref1: 0x11,
  ref2: 0x12,
  ref4: 0x13,
  ref8: 0x14,
  ref_udata: 0x15,
  indirect: 0x16,
  sec_offset: 0x17,
  exprloc: 0x18,
  flag_present: 0x19,
  strx: 0x1a,
  addrx: 0x1b,
  ref_sup4: 0x1c,
  strp_sup: 0x1d,
  data16: 0x1e,
  line_strp: 0x1f,
  ref_sig8: 0x20,
  implicit_const: 0x21,
  loclistx: 0x22,
  rnglistx: 0x23,
  ref_sup8: 0x24,
  strx1: 0x25,
  strx2: 0x26,
  strx3: 0x27,
  strx4: 0x28,
  addrx1: 0x29,
  addrx2: 0x2a,
  addrx3: 0x2b,
  addrx4: 0x2c,
  GNU_addr_index: 0x1f01,
  GNU_str_index: 0x1f02,
  GNU_ref_alt: 0x1f20,
  GNU_strp_alt: 0x1f21,
} as const;

/** Base type encodings. */
export const DW_ATE = {
  address: 0x01,
  boolean: 0x02,
  complex_float: 0x03,
  float: 0x04,
  signed: 0x05,
  signed_char: 0x06,
  unsigned: 0x07,
  unsigned_char: 0x08,
  UTF: 0x10,
} as const;

/** The location operations a member offset can be written with (DWARF 2 style). */
export const DW_OP = { plus_uconst: 0x23, constu: 0x10 } as const;

function reverse(table: Record<string, number>): Map<number, string> {
  return new Map(Object.entries(table).map(([name, value]) => [value, name]));
}
const tagNames = reverse(DW_TAG);
const formNames = reverse(DW_FORM);
const attributeNames = reverse(DW_AT);

/** "DW_TAG_structure_type" for 0x13; unknown values print as hex so nothing is hidden. */
export function tagName(tag: number): string {
  const name = tagNames.get(tag);
  return name === undefined ? `DW_TAG_0x${tag.toString(16)}` : `DW_TAG_${name}`;
}
export function formName(form: number): string {
  const name = formNames.get(form);
  return name === undefined ? `DW_FORM_0x${form.toString(16)}` : `DW_FORM_${name}`;
}
export function attributeName(at: number): string {
  const name = attributeNames.get(at);
  return name === undefined ? `DW_AT_0x${at.toString(16)}` : `DW_AT_${name}`;
}
