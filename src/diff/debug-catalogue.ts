// SPDX-License-Identifier: GPL-2.0-only
// What one object's debug information says about the data and interfaces of its unit, as the
// layout comparison (./layout.ts) needs it: the named types it defines (structs, unions, enums,
// typedefs), every enum constant, the prototype of every function it declares or defines, and
// its file-scope variables. All read from the top level of each compile unit; types local to a
// function body are not listed (their instances live on that function's stack).

import {
  type Constant,
  type Die,
  DW_AT,
  DW_TAG,
  definitionOf,
  isDefinition,
  readDwarf,
  tagKeyword,
  unqualified,
} from "../elf/dwarf/index.ts";
import type { ElfObject } from "../elf/index.ts";

export interface EnumConstant {
  /** Its key in DebugCatalogue.constants (the name, scoped by unit when there are several). */
  key: string;
  name: string;
  value: Constant;
  /** The enumeration type it belongs to. */
  enumType: Die;
  /** Its position in the enumeration (declaration order). */
  index: number;
}

export interface FunctionEntry {
  name: string;
  /** The DIE holding the prototype: return type, parameters (the declaration or abstract instance). */
  prototype: Die;
  /** Non-static (DW_AT_external). */
  external: boolean;
}

export interface VariableEntry {
  name: string;
  die: Die;
  external: boolean;
  /** A definition in this unit (not an `extern` declaration). */
  defined: boolean;
}

export interface DebugCatalogue {
  /** Named type definitions by key: "struct sock", "union bpf_attr", "enum state", "typedef u16". */
  types: Map<string, Die>;
  /** Enum constants by name. */
  constants: Map<string, EnumConstant>;
  functions: Map<string, FunctionEntry>;
  variables: Map<string, VariableEntry>;
  /** The typedef that names an anonymous struct, union or enum (`typedef struct {...} name`). */
  typedefNames: Map<Die, string>;
}

/** The DIE and the DIEs it completes (abstract_origin, specification), nearest first. */
function originChain(die: Die): Die[] {
  const chain = [die];
  let at = die;
  for (let i = 0; i < 8; i++) {
    const next = at.ref(DW_AT.abstract_origin) ?? at.ref(DW_AT.specification);
    if (next === undefined || chain.includes(next)) break;
    chain.push(next);
    at = next;
  }
  return chain;
}

function nameOf(chain: Die[]): string | undefined {
  for (const d of chain) if (d.name !== undefined) return d.name;
  return undefined;
}

class CatalogueBuilder {
  readonly catalogue: DebugCatalogue = {
    types: new Map(),
    constants: new Map(),
    functions: new Map(),
    variables: new Map(),
    typedefNames: new Map(),
  };

  /** Prefix for keys when the object holds several compile units (`ld -r` of several). */
  scope = "";

  /** A DIE at the top level of a compile unit. */
  add(child: Die): void {
    if (this.addType(child)) return;
    if (child.tag === DW_TAG.subprogram) {
      this.addFunction(child);
    } else if (child.tag === DW_TAG.variable) {
      this.addVariable(child);
    }
  }

  /** A type definition, typedef or enum (with its constants); false for anything else. */
  addType(child: Die): boolean {
    const keyword = tagKeyword(child.tag);
    if (keyword !== undefined) {
      if (child.tag === DW_TAG.enumeration_type) this.addConstants(child);
      if (child.name !== undefined && isDefinition(child)) this.addKey(`${keyword} ${child.name}`, child);
      return true;
    }
    if (child.tag !== DW_TAG.typedef || child.name === undefined) return false;
    this.addKey(`typedef ${child.name}`, child);
    const target = unqualified(child.type);
    const named = target ? definitionOf(target) : undefined;
    if (
      named &&
      tagKeyword(named.tag) !== undefined &&
      named.name === undefined &&
      !this.catalogue.typedefNames.has(named)
    )
      this.catalogue.typedefNames.set(named, child.name);
    return true;
  }

  private addKey(key: string, die: Die): void {
    const types = this.catalogue.types;
    if (!types.has(this.scope + key)) types.set(this.scope + key, die);
  }

  private addConstants(enumType: Die): void {
    let index = 0;
    for (const e of enumType.children) {
      if (e.tag !== DW_TAG.enumerator || e.name === undefined) continue;
      const value = e.constant(DW_AT.const_value);
      if (value === undefined) continue;
      const key = this.scope + e.name;
      if (!this.catalogue.constants.has(key))
        this.catalogue.constants.set(key, { key, name: e.name, value, enumType, index });
      index++;
    }
  }

  private addFunction(die: Die): void {
    const chain = originChain(die);
    const name = nameOf(chain);
    if (name === undefined) return;
    const key = this.scope + name;
    const external = chain.some((d) => d.flag(DW_AT.external));
    const known = this.catalogue.functions.get(key);
    if (known) {
      known.external ||= external;
      return;
    }
    // The most abstract DIE holds the parameters with their types (a concrete out-of-line
    // instance's parameters only point back to it).
    this.catalogue.functions.set(key, { name, prototype: chain[chain.length - 1] as Die, external });
  }

  private addVariable(die: Die): void {
    const chain = originChain(die);
    const name = nameOf(chain);
    // __UNIQUE_ID_* are per-site objects (module info strings) named by a counter.
    if (name === undefined || name.startsWith("__UNIQUE_ID_")) return;
    const key = this.scope + name;
    const typed = chain.find((d) => d.type !== undefined) ?? die;
    const entry: VariableEntry = {
      name,
      die: typed,
      external: chain.some((d) => d.flag(DW_AT.external)),
      defined: !die.flag(DW_AT.declaration),
    };
    const known = this.catalogue.variables.get(key);
    // A definition says more than the `extern` declaration before it.
    if (!known || (!known.defined && entry.defined)) this.catalogue.variables.set(key, entry);
  }
}

const cache = new WeakMap<ElfObject, DebugCatalogue | null>();

/**
 * The catalogue of an object's debug information, or null when it has none (stripped). Read
 * once per object (diffObjects may run several times on the same pair); an object edited
 * after that needs to be read again from its bytes. Throws ElfError on malformed DWARF.
 */
export function debugCatalogue(obj: ElfObject): DebugCatalogue | null {
  const hit = cache.get(obj);
  if (hit !== undefined) return hit;
  const dwarf = readDwarf(obj, { skipFunctionBodies: true });
  let catalogue: DebugCatalogue | null = null;
  if (dwarf) {
    const builder = new CatalogueBuilder();
    const several = dwarf.compileUnits.length > 1;
    for (const cu of dwarf.compileUnits) {
      builder.scope = several ? `${cu.name ?? `unit 0x${cu.offset.toString(16)}`}: ` : "";
      for (const child of cu.children) builder.add(child);
    }
    // Types gcc moved to type units (-fdebug-types-section); their compile units hold stubs.
    builder.scope = "";
    for (const tu of dwarf.typeUnits) for (const child of tu.children) builder.addType(child);
    catalogue = builder.catalogue;
  }
  cache.set(obj, catalogue);
  return catalogue;
}
