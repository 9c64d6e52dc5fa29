// SPDX-License-Identifier: GPL-2.0-only
// Types reduced to their layout, so that two builds can be compared by what the bytes mean
// and not by how the source spells them. Each type gets a number (a "shape"), shared by both
// objects of a comparison: equal numbers, same layout.
//
// - A struct or union is its size and, for each member in order, its bit offset, its bit-field
//   width and the shape of its type. Member names do not count (a renamed member is the same
//   layout), nor does the struct's own name when it is embedded.
// - Typedefs and qualifiers are transparent: `u32`, `__u32` and `unsigned int` are one shape,
//   so is a typedef that now names another type of the same layout.
// - An integer is its size (signedness does not move a byte; an enum is an integer of its size:
//   its constants are compared apart). Arrays are their dimensions and element shape: a
//   dimension respelled (`[FOO_MAX]` for `[4]`) is the same.
// - A pointer is what it points to, by identity: the name of a struct, union or enum (whose
//   own layout is compared under that name), else the shape. So recursive types end.
// - A function type is its return and parameter shapes and whether it is variadic.
import {
  arrayDimensions,
  byteSize,
  type Die,
  DW_AT,
  DW_ATE,
  DW_TAG,
  definitionOf,
  memberBitOffset,
  memberBitSize,
  tagKeyword,
} from "../elf/dwarf/index.ts";

/** The numbering shared by the two objects of one comparison. */
export class ShapeTable {
  private readonly ids = new Map<string, number>();
  id(key: string): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(key, id);
    }
    return id;
  }
}

/** Nesting deeper than this is not a real type (struct embedding in the kernel is ~15 deep). */
const MAX_DEPTH = 256;

const integerEncodings: ReadonlySet<number> = new Set([
  DW_ATE.boolean,
  DW_ATE.signed,
  DW_ATE.signed_char,
  DW_ATE.unsigned,
  DW_ATE.unsigned_char,
  DW_ATE.UTF,
  DW_ATE.address,
]);

/** The shapes of one object's types (memoised per DIE), numbered in a shared table. */
export class Shapes {
  private readonly memo = new Map<Die, number>();
  private readonly active = new Set<Die>();
  private depth = 0;

  constructor(
    private readonly table: ShapeTable,
    /** The typedef naming an anonymous struct/union/enum, for pointer identity. */
    private readonly typedefNames: ReadonlyMap<Die, string>,
  ) {}

  /** The shape of a type (undefined: void). */
  of(declared: Die | undefined): number {
    if (declared === undefined) return this.table.id("void");
    const type = definitionOf(declared);
    const known = this.memo.get(type);
    if (known !== undefined) return known;
    // A type that contains itself other than through a pointer is corrupt; give it a shape of
    // its own rather than recursing forever.
    if (this.active.has(type) || this.depth > MAX_DEPTH) return this.table.id(`cycle@${type.offset}`);
    this.active.add(type);
    this.depth++;
    try {
      const id = isTransparent(type.tag) ? this.of(type.type) : this.table.id(this.key(type));
      this.memo.set(type, id);
      return id;
    } finally {
      this.active.delete(type);
      this.depth--;
    }
  }

  /** A function's prototype: return shape, parameter shapes, variadic. */
  prototype(fn: Die): number {
    return this.table.id(this.functionKey(fn));
  }

  private key(type: Die): string {
    switch (type.tag) {
      case DW_TAG.base_type: {
        const encoding = type.number(DW_AT.encoding) ?? 0;
        const kind = integerEncodings.has(encoding) ? "int" : `enc${encoding}`;
        return `${kind}${byteSize(type) ?? "?"}`;
      }
      case DW_TAG.enumeration_type:
        return type.flag(DW_AT.declaration) ? `decl enum ${type.name}` : `int${byteSize(type) ?? "?"}`;
      case DW_TAG.structure_type:
      case DW_TAG.union_type:
        return this.aggregateKey(type);
      case DW_TAG.pointer_type:
      case DW_TAG.reference_type:
        return `*${this.identity(type.type)}`;
      case DW_TAG.array_type:
        return `[${arrayDimensions(type).join(",")}]${this.of(type.type)}`;
      case DW_TAG.subroutine_type:
        return this.functionKey(type);
      default:
        return `tag${type.tag} ${type.name ?? ""}`;
    }
  }

  private aggregateKey(type: Die): string {
    const word = type.tag === DW_TAG.union_type ? "union" : "struct";
    if (type.flag(DW_AT.declaration)) return `decl ${word} ${type.name ?? ""}`;
    const members = type.children
      .filter((m) => m.tag === DW_TAG.member)
      .map((m) => `${memberBitOffset(m) ?? "?"}:${memberBitSize(m) ?? ""}:${this.of(m.type)}`);
    return `${word}${byteSize(type) ?? "?"}{${members.join(",")}}`;
  }

  private functionKey(fn: Die): string {
    const { returns, params, variadic } = signatureOf(fn);
    return `fn${this.of(returns)}(${params.map((t) => this.of(t)).join(",")}${variadic ? ",..." : ""})`;
  }

  /**
   * What a pointer points to: a named struct/union/enum by its name, an anonymous one by the
   * typedef that names it, anything else by its shape.
   */
  identity(type: Die | undefined): string {
    let t = type;
    let typedef: string | undefined;
    for (let i = 0; t !== undefined && i < MAX_DEPTH; i++) {
      if (t.tag === DW_TAG.typedef) typedef = t.name;
      else if (!isTransparent(t.tag)) break;
      t = t.type;
    }
    if (t === undefined) return "void";
    const word = tagKeyword(t.tag);
    if (word === undefined) return String(this.of(t));
    const name = t.name ?? this.typedefNames.get(t) ?? typedef;
    return name === undefined ? String(this.of(t)) : `${word} ${name}`;
  }
}

/** A function's (or function type's) return type, parameter types and whether it is variadic. */
export interface Signature {
  returns: Die | undefined;
  params: Array<Die | undefined>;
  variadic: boolean;
}

export function signatureOf(fn: Die): Signature {
  const params: Array<Die | undefined> = [];
  let variadic = false;
  for (const child of fn.children) {
    // A concrete instance's parameters point back to the abstract ones, which have the types.
    if (child.tag === DW_TAG.formal_parameter)
      params.push(child.type ?? child.ref(DW_AT.abstract_origin)?.type);
    else if (child.tag === DW_TAG.unspecified_parameters) variadic = true;
  }
  return { returns: fn.type, params, variadic };
}

function isTransparent(tag: number): boolean {
  return (
    tag === DW_TAG.typedef ||
    tag === DW_TAG.const_type ||
    tag === DW_TAG.volatile_type ||
    tag === DW_TAG.restrict_type ||
    tag === DW_TAG.atomic_type ||
    tag === DW_TAG.immutable_type
  );
}
