// SPDX-License-Identifier: GPL-2.0-only
// What a type DIE means: qualifiers and typedefs seen through, sizes, member offsets (DWARF 5
// data_bit_offset, DWARF 2-4 data_member_location with bit_offset), array dimensions, and the
// type spelled as C ("struct sock *", "int (*)(struct file *, loff_t)", "u16[4]").
import { DW_AT, DW_OP, DW_TAG } from "./constants.ts";
import type { Die } from "./model.ts";

const qualifierTags: ReadonlySet<number> = new Set([
  DW_TAG.const_type,
  DW_TAG.volatile_type,
  DW_TAG.restrict_type,
  DW_TAG.atomic_type,
  DW_TAG.immutable_type,
]);

/** Chains longer than this are corrupt (no real type has 64 qualifiers or typedefs in a row). */
const MAX_CHAIN = 64;

export function isQualifier(die: Die): boolean {
  return qualifierTags.has(die.tag);
}

export function isAggregate(die: Die): boolean {
  return die.tag === DW_TAG.structure_type || die.tag === DW_TAG.union_type;
}

/** The type with const/volatile/restrict/_Atomic removed (undefined: void). */
export function unqualified(type: Die | undefined): Die | undefined {
  let t = type;
  for (let i = 0; t !== undefined && isQualifier(t) && i < MAX_CHAIN; i++) t = t.type;
  return t;
}

/** The type with qualifiers and typedefs removed: what it really is (undefined: void). */
export function resolved(type: Die | undefined): Die | undefined {
  let t = type;
  for (let i = 0; t !== undefined && (isQualifier(t) || t.tag === DW_TAG.typedef) && i < MAX_CHAIN; i++)
    t = t.type;
  return t === undefined ? t : definitionOf(t);
}

/** Whether a top-level const qualifies the type (or, for an array, its elements). */
export function isConstType(type: Die | undefined): boolean {
  let t = type;
  for (let i = 0; t !== undefined && i < MAX_CHAIN; i++) {
    if (t.tag === DW_TAG.const_type) return true;
    if (isQualifier(t) || t.tag === DW_TAG.typedef || t.tag === DW_TAG.array_type) t = t.type;
    else return false;
  }
  return false;
}

/**
 * The definition a declaration stands for when gcc moved the type to a type unit
 * (-fdebug-types-section: a declaration with DW_AT_signature); otherwise the DIE itself.
 */
export function definitionOf(die: Die): Die {
  return die.flag(DW_AT.declaration) ? (die.ref(DW_AT.signature) ?? die) : die;
}

/** A complete struct/union/enum definition (not a forward declaration). */
export function isDefinition(die: Die): boolean {
  return !die.flag(DW_AT.declaration);
}

/** The number of elements of each dimension; undefined for a flexible or variable one. */
export function arrayDimensions(array: Die): Array<number | undefined> {
  const dims: Array<number | undefined> = [];
  for (const sub of array.children) {
    if (sub.tag !== DW_TAG.subrange_type) continue;
    const count = sub.number(DW_AT.count);
    if (count !== undefined) {
      dims.push(count);
      continue;
    }
    const upper = sub.number(DW_AT.upper_bound);
    const lower = sub.number(DW_AT.lower_bound) ?? 0;
    // gcc writes a zero-length array `x[0]` as upper bound -1 (or all ones in an unsigned form).
    if (upper === undefined) dims.push(undefined);
    else if (upper === 0xffffffff || upper === -1) dims.push(0);
    else dims.push(upper - lower + 1);
  }
  return dims.length > 0 ? dims : [undefined];
}

/** The size in bytes of a type (undefined for void, functions, flexible arrays). */
export function byteSize(type: Die | undefined, nesting = 0): number | undefined {
  let t = type;
  for (let depth = nesting; t !== undefined && depth < MAX_CHAIN; depth++) {
    const own = t.number(DW_AT.byte_size);
    if (own !== undefined) return own;
    if (isQualifier(t) || t.tag === DW_TAG.typedef) {
      t = t.type;
      continue;
    }
    if (t.tag === DW_TAG.pointer_type || t.tag === DW_TAG.reference_type) return t.unit.addressSize;
    if (t.tag === DW_TAG.array_type) {
      const element = byteSize(t.type, depth + 1);
      let count = 1;
      for (const d of arrayDimensions(t)) {
        if (d === undefined) return undefined;
        count *= d;
      }
      return element === undefined ? undefined : element * count;
    }
    return undefined;
  }
  return undefined;
}

/** A DW_OP_plus_uconst (or constu) location expression's constant: DWARF 2's member offsets. */
function locationConstant(expr: Uint8Array): number | undefined {
  const op = expr[0];
  if (op !== DW_OP.plus_uconst && op !== DW_OP.constu) return undefined;
  let value = 0;
  let scale = 1;
  for (let i = 1; i < expr.length && i < 9; i++) {
    const b = expr[i] as number;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return i === expr.length - 1 ? value : undefined;
  }
  return undefined;
}

/**
 * Where a member starts, in bits from the start of its struct (0 for union members);
 * undefined when the location is an expression other than a constant offset.
 */
export function memberBitOffset(member: Die): number | undefined {
  const dataBit = member.number(DW_AT.data_bit_offset);
  if (dataBit !== undefined) return dataBit;
  const location = member.value(DW_AT.data_member_location);
  let bytes: number | undefined;
  if (location === undefined) bytes = 0;
  else if (typeof location === "number") bytes = location;
  else if (location instanceof Uint8Array) bytes = locationConstant(location);
  if (bytes === undefined) return undefined;
  const bitOffset = member.number(DW_AT.bit_offset);
  const bitSize = member.number(DW_AT.bit_size);
  if (bitOffset === undefined || bitSize === undefined) return bytes * 8;
  // DWARF 2-4 bit fields count from the most significant bit of the storage unit; on a
  // little-endian machine the field starts (storage size - bit_offset - bit_size) bits in.
  const storage = member.number(DW_AT.byte_size) ?? byteSize(member.type) ?? 0;
  return bytes * 8 + storage * 8 - bitOffset - bitSize;
}

/** The bit width of a bit-field member, undefined for ordinary members. */
export function memberBitSize(member: Die): number | undefined {
  return member.number(DW_AT.bit_size);
}

const tagKeywords: ReadonlyMap<number, string> = new Map([
  [DW_TAG.structure_type, "struct"],
  [DW_TAG.union_type, "union"],
  [DW_TAG.enumeration_type, "enum"],
]);

/** "struct", "union" or "enum" for those tags (C's tag namespace), else undefined. */
export function tagKeyword(tag: number): string | undefined {
  return tagKeywords.get(tag);
}

const qualifierWords: ReadonlyMap<number, string> = new Map([
  [DW_TAG.const_type, "const"],
  [DW_TAG.volatile_type, "volatile"],
  [DW_TAG.restrict_type, "restrict"],
  [DW_TAG.atomic_type, "_Atomic"],
]);

/** "struct sock", "union {...}", "enum state", or the name of a base type or typedef. */
function tagText(die: Die): string {
  const keyword = tagKeyword(die.tag);
  return keyword === undefined ? (die.name ?? "?") : `${keyword} ${die.name ?? "{...}"}`;
}

/** A type name and a declarator: `int` and `*p` make `int *p`; `int` and `[4]` make `int[4]`. */
function join(left: string, right: string): string {
  if (right === "") return left;
  return right.startsWith("[") ? `${left}${right}` : `${left} ${right}`;
}

/** The parameter list of a subprogram or subroutine type, spelled as C. */
export function parameterText(fn: Die, depth = 0): string {
  const params: string[] = [];
  let variadic = false;
  for (const child of fn.children) {
    if (child.tag === DW_TAG.formal_parameter) {
      const origin = child.ref(DW_AT.abstract_origin);
      const type = child.type ?? origin?.type;
      params.push(spell(type, child.name ?? origin?.name ?? "", depth + 1));
    } else if (child.tag === DW_TAG.unspecified_parameters) variadic = true;
  }
  if (variadic) params.push("...");
  if (params.length === 0 && fn.flag(DW_AT.prototyped)) return "void";
  return params.join(", ");
}

/** `type` declared with the declarator `inner` (a name, `*name`, ...), as C spells it. */
function spell(type: Die | undefined, inner: string, depth: number): string {
  if (depth > MAX_CHAIN) return join("...", inner);
  if (type === undefined) return join("void", inner);
  switch (type.tag) {
    case DW_TAG.pointer_type:
    case DW_TAG.reference_type: {
      const target = unqualified(type.type);
      const wrap = target?.tag === DW_TAG.array_type || target?.tag === DW_TAG.subroutine_type;
      const star = type.tag === DW_TAG.pointer_type ? "*" : "&";
      return spell(type.type, wrap ? `(${star}${inner})` : `${star}${inner}`, depth + 1);
    }
    case DW_TAG.const_type:
    case DW_TAG.volatile_type:
    case DW_TAG.restrict_type:
    case DW_TAG.atomic_type: {
      const word = qualifierWords.get(type.tag) as string;
      // A qualified array is an array of qualified elements, which spell the qualifier.
      if (unqualified(type.type)?.tag === DW_TAG.array_type) return spell(type.type, inner, depth + 1);
      // A qualified pointer is spelled after the star: `char *const p`.
      if (unqualified(type.type)?.tag === DW_TAG.pointer_type)
        return spell(type.type, join(word, inner), depth + 1);
      return `${word} ${spell(type.type, inner, depth + 1)}`;
    }
    case DW_TAG.array_type: {
      const dims = arrayDimensions(type)
        .map((d) => `[${d ?? ""}]`)
        .join("");
      return spell(type.type, `${inner}${dims}`, depth + 1);
    }
    case DW_TAG.subroutine_type:
      return spell(type.type, `${inner}(${parameterText(type, depth)})`, depth + 1);
    default:
      return join(tagText(type), inner);
  }
}

/** A type spelled as C: "struct sock *", "const char *const[4]", "void (*)(int)". */
export function typeText(type: Die | undefined): string {
  return spell(type, "", 0);
}

/** A declaration spelled as C: `int foo(struct sock *sk, int len)`, `u16 table[4]`. */
export function declarationText(type: Die | undefined, name: string): string {
  return spell(type, name, 0);
}

/** A function's prototype spelled as C, from the DIE that holds its parameters. */
export function prototypeText(fn: Die, name: string): string {
  return spell(fn.type, `${name}(${parameterText(fn)})`, 0);
}
