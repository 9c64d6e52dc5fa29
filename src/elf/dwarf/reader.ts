// SPDX-License-Identifier: GPL-2.0-only
// Reads the DWARF (versions 2 to 5) of an ELF relocatable object into a DIE tree (./model.ts):
// unit headers, abbreviations, every attribute form, strings (inline, .debug_str,
// .debug_line_str, indexed through .debug_str_offsets), indexed addresses (.debug_addr), and
// references resolved to the entries they name (within a unit, across units, and type units
// by signature). The debug sections are linked first (./sections.ts): relocations applied.
// Everything is checked before it is used; corrupt or truncated DWARF ends in an ElfError
// naming the section and the file offset, never an exception of another kind or a hang.
import type { ElfObject } from "../model.ts";
import {
  type Abbrev,
  type AbbrevTable,
  classifyForms,
  isKnownForm,
  lookupAbbrev,
  readAbbrevTable,
} from "./abbrev.ts";
import { DW_AT, DW_FORM, DW_TAG, DW_UT, formName } from "./constants.ts";
import { type Constant, Cursor, decodeUtf8 } from "./cursor.ts";
import { type AttrValue, Die, type DwarfInfo, type DwarfUnit } from "./model.ts";
import { type DebugSection, linkDebugSections } from "./sections.ts";

const SECTIONS = [
  ".debug_info",
  ".debug_types",
  ".debug_abbrev",
  ".debug_str",
  ".debug_line_str",
  ".debug_str_offsets",
  ".debug_addr",
] as const;

/** NUL-terminated strings of one section, decoded once per offset. */
class Strings {
  private readonly cache = new Map<number, string>();
  constructor(private readonly section: DebugSection | undefined) {}

  at(offset: number, c: Cursor, what: string, at: number): string {
    const hit = this.cache.get(offset);
    if (hit !== undefined) return hit;
    const section = this.section;
    if (section === undefined) throw c.error(`${what} needs a string section the object does not have`, at);
    const bytes = section.bytes;
    if (offset >= bytes.length)
      throw c.error(
        `${what} names string offset 0x${offset.toString(16)}, past the end of ${section.name} (${bytes.length} bytes)`,
        at,
      );
    const nul = bytes.indexOf(0, offset);
    if (nul < 0) throw c.error(`${what} names a string that runs off the end of ${section.name}`, at);
    const text = decodeUtf8(bytes, offset, nul);
    this.cache.set(offset, text);
    return text;
  }
}

/** The DIEs of one section (.debug_info, or DWARF 4's .debug_types) by offset. */
interface SectionState {
  section: DebugSection;
  dies: Map<number, Die>;
  /** Start and end offsets of the function bodies stepped over (skipFunctionBodies), in order. */
  skipped: number[];
}

/** The children of a subprogram that make its prototype: kept when bodies are skipped. */
const signatureTags: ReadonlySet<number> = new Set([DW_TAG.formal_parameter, DW_TAG.unspecified_parameters]);

class DwarfReader {
  readonly sections: Map<string, DebugSection>;
  readonly strings: Strings;
  readonly lineStrings: Strings;
  private readonly abbrevTables = new Map<number, AbbrevTable>();
  readonly units: DwarfUnit[] = [];
  /** Type units and the offset of the type each describes. */
  private readonly typeUnitOffsets = new Map<DwarfUnit, number>();
  dieCount = 0;

  constructor(
    obj: ElfObject,
    /** Step over what is below a subprogram other than its parameters (see ReadDwarfOptions). */
    private readonly skipBodies: boolean,
  ) {
    this.sections = linkDebugSections(obj, SECTIONS);
    this.strings = new Strings(this.sections.get(".debug_str"));
    this.lineStrings = new Strings(this.sections.get(".debug_line_str"));
  }

  info(): DebugSection {
    return this.sections.get(".debug_info") as DebugSection;
  }

  abbrevTable(offset: number, c: Cursor, at: number): AbbrevTable {
    const cached = this.abbrevTables.get(offset);
    if (cached) return cached;
    const section = this.sections.get(".debug_abbrev");
    if (!section) throw c.error("a unit names an abbreviation table but the object has no .debug_abbrev", at);
    const table = readAbbrevTable(section, offset);
    this.abbrevTables.set(offset, table);
    return table;
  }

  /** Every unit of one section (.debug_info or .debug_types). */
  readSection(name: ".debug_info" | ".debug_types"): SectionState | undefined {
    const section = this.sections.get(name);
    if (!section) return undefined;
    const state: SectionState = { section, dies: new Map(), skipped: [] };
    let pos = 0;
    while (pos < section.bytes.length) pos = this.readUnit(state, pos);
    return state;
  }

  /** One unit at `start`; returns the offset of the next. */
  private readUnit(state: SectionState, start: number): number {
    const section = state.section;
    const c = new Cursor(section, start, section.bytes.length);
    let length = c.u32("unit length");
    let offsetSize = 4;
    if (length === 0xffffffff) {
      length = c.offset(8, "64-bit unit length");
      offsetSize = 8;
    } else if (length >= 0xfffffff0) {
      throw c.error(`unit length 0x${length.toString(16)} is a reserved value`, start);
    }
    if (c.pos + length > section.bytes.length)
      throw c.error(
        `unit at 0x${start.toString(16)} (${length} bytes) runs past the end of the section (${section.bytes.length} bytes)`,
        start,
      );
    c.end = c.pos + length;
    const { unit, abbrevOffset } = this.readUnitHeader(c, state, start, offsetSize);
    const table = this.abbrevTable(abbrevOffset, c, start);
    const dies = this.readDies(c, state, unit, table);
    this.resolveIndexed(unit, dies);
    return c.end;
  }

  private readUnitHeader(
    c: Cursor,
    state: SectionState,
    start: number,
    offsetSize: number,
  ): { unit: DwarfUnit; abbrevOffset: number } {
    const version = c.u16("unit version");
    if (version < 2 || version > 5)
      throw c.error(`unit at 0x${start.toString(16)} has DWARF version ${version} (2 to 5 are read)`, start);
    let unitType: number = state.section.name === ".debug_types" ? DW_UT.type : DW_UT.compile;
    let addressSize: number;
    let abbrevOffset: number;
    if (version >= 5) {
      unitType = c.u8("unit type");
      addressSize = c.u8("address size");
      abbrevOffset = c.offset(offsetSize, "abbreviation offset");
    } else {
      abbrevOffset = c.offset(offsetSize, "abbreviation offset");
      addressSize = c.u8("address size");
    }
    if (addressSize !== 4 && addressSize !== 8)
      throw c.error(`unit at 0x${start.toString(16)} has address size ${addressSize} (not 4 or 8)`, start);
    const unit: DwarfUnit = {
      offset: start,
      end: c.end,
      section: state.section.name,
      version,
      unitType,
      addressSize,
      offsetSize,
      root: null,
    };
    if (unitType === DW_UT.type || unitType === DW_UT.split_type) {
      unit.typeSignature = c.u64("type signature");
      const typeOffset = c.offset(offsetSize, "type offset");
      this.typeUnitOffsets.set(unit, start + typeOffset);
    } else if (unitType === DW_UT.skeleton || unitType === DW_UT.split_compile) {
      c.u64("unit id");
    } else if (unitType !== DW_UT.compile && unitType !== DW_UT.partial) {
      throw c.error(`unit at 0x${start.toString(16)} has unknown unit type ${unitType}`, start);
    }
    this.units.push(unit);
    return { unit, abbrevOffset };
  }

  /** The unit's DIE tree; returns the DIEs with indexed (strx/addrx) attributes. */
  private readDies(c: Cursor, state: SectionState, unit: DwarfUnit, table: AbbrevTable): Die[] {
    const stack: Die[] = [];
    const indexed: Die[] = [];
    while (c.pos < c.end) {
      const offset = c.pos;
      const code = c.uleb("abbreviation code");
      if (code === 0) {
        stack.pop(); // closes a list of children (or pads the end of the unit)
        continue;
      }
      const abbrev = this.abbrevOf(table, code, c, offset);
      const parent = stack.length > 0 ? (stack[stack.length - 1] as Die) : null;
      if (parent === null && unit.root !== null)
        throw c.error("a unit has a second top-level DIE (one unit DIE is allowed)", offset);
      if (this.skipBodies && parent?.tag === DW_TAG.subprogram && !signatureTags.has(abbrev.tag)) {
        this.skipSubtree(c, state, unit, table, abbrev, offset);
        continue;
      }
      const die = this.readDie(c, unit, parent, abbrev, offset);
      if (die.layout.indexed.length > 0) indexed.push(die);
      state.dies.set(offset, die);
      this.dieCount++;
      if (parent) parent.addChild(die);
      else unit.root = die;
      if (abbrev.hasChildren) stack.push(die);
    }
    return indexed;
  }

  private abbrevOf(table: AbbrevTable, code: number, c: Cursor, offset: number): Abbrev {
    const abbrev = lookupAbbrev(table, code);
    if (abbrev === undefined)
      throw c.error(`DIE uses abbreviation ${code}, which its table does not define`, offset);
    return abbrev;
  }

  /**
   * Steps over a DIE of a function body and everything below it without building them: by its
   * DW_AT_sibling when it has a sound one, else by reading through the subtree.
   */
  private skipSubtree(
    c: Cursor,
    state: SectionState,
    unit: DwarfUnit,
    table: AbbrevTable,
    first: Abbrev,
    offset: number,
  ): void {
    const values = this.readDie(c, unit, null, first, offset).values;
    if (first.hasChildren) {
      const at = first.names.indexOf(DW_AT.sibling);
      const sibling = at >= 0 && first.unitRefs.includes(at) ? (values[at] as number) : undefined;
      if (sibling !== undefined && sibling > c.pos && sibling <= c.end) c.pos = sibling;
      else
        for (let depth = 1; depth > 0 && c.pos < c.end; ) {
          const child = c.pos;
          const code = c.uleb("abbreviation code");
          if (code === 0) depth--;
          else {
            const abbrev = this.abbrevOf(table, code, c, child);
            this.readDie(c, unit, null, abbrev, child);
            if (abbrev.hasChildren) depth++;
          }
        }
    }
    state.skipped.push(offset, c.pos);
  }

  private readDie(c: Cursor, unit: DwarfUnit, parent: Die | null, abbrev: Abbrev, offset: number): Die {
    const forms = abbrev.forms;
    const values: AttrValue[] = new Array(forms.length);
    let indirect: number[] | undefined;
    for (let i = 0; i < forms.length; i++) {
      let form = forms[i] as number;
      if (form === DW_FORM.indirect) {
        const at = c.pos;
        form = c.uleb("indirect form");
        if (form === DW_FORM.implicit_const || form === DW_FORM.indirect || !isKnownForm(form))
          throw c.error(`DW_FORM_indirect names ${formName(form)}, which cannot be indirect`, at);
        indirect ??= forms.slice();
        indirect[i] = form;
      }
      values[i] = this.readValue(c, unit, form, abbrev.implicit[i]);
    }
    // A DIE that used DW_FORM_indirect has forms of its own.
    const layout = indirect ? { names: abbrev.names, forms: indirect, ...classifyForms(indirect) } : abbrev;
    return new Die(offset, abbrev.tag, unit, parent, layout, values);
  }

  /** One attribute value; references and indices are raw numbers until resolved. */
  private readValue(c: Cursor, unit: DwarfUnit, form: number, implicit: Constant | undefined): AttrValue {
    switch (form) {
      case DW_FORM.addr:
        return unit.addressSize === 8 ? c.u64Constant("address") : c.u32("address");
      case DW_FORM.data1:
        return c.u8("constant");
      case DW_FORM.data2:
        return c.u16("constant");
      case DW_FORM.data4:
        return c.u32("constant");
      case DW_FORM.data8:
        return c.u64Constant("constant");
      case DW_FORM.data16:
        return c.bytesOf(16, "16-byte constant");
      case DW_FORM.sdata:
        return c.slebConstant("signed constant");
      case DW_FORM.udata:
        return c.ulebConstant("unsigned constant");
      case DW_FORM.implicit_const:
        return implicit ?? 0;
      case DW_FORM.string:
        return c.cstring("inline string");
      case DW_FORM.strp: {
        const at = c.pos;
        return this.strings.at(c.offset(unit.offsetSize, "string offset"), c, "an attribute", at);
      }
      case DW_FORM.line_strp: {
        const at = c.pos;
        return this.lineStrings.at(c.offset(unit.offsetSize, "line string offset"), c, "an attribute", at);
      }
      case DW_FORM.flag:
        return c.u8("flag") !== 0;
      case DW_FORM.flag_present:
        return true;
      case DW_FORM.ref1:
        return unit.offset + c.u8("reference");
      case DW_FORM.ref2:
        return unit.offset + c.u16("reference");
      case DW_FORM.ref4:
        return unit.offset + c.u32("reference");
      case DW_FORM.ref8:
        return unit.offset + c.offset(8, "reference");
      case DW_FORM.ref_udata:
        return unit.offset + c.uleb("reference");
      case DW_FORM.ref_addr:
        return c.sized(unit.version <= 2 ? unit.addressSize : unit.offsetSize, "reference");
      case DW_FORM.ref_sig8:
        return c.u64("type signature");
      case DW_FORM.ref_sup4:
        // In a supplementary object file (dwz): kept as the raw offset, never followed.
        return c.u32("reference");
      case DW_FORM.strp_sup:
      case DW_FORM.GNU_ref_alt:
      case DW_FORM.GNU_strp_alt:
        return c.offset(unit.offsetSize, "reference");
      case DW_FORM.ref_sup8:
        return c.u64Constant("reference");
      case DW_FORM.sec_offset:
        return c.offset(unit.offsetSize, "section offset");
      case DW_FORM.exprloc:
      case DW_FORM.block:
        return c.bytesOf(c.uleb("block length"), "block");
      case DW_FORM.block1:
        return c.bytesOf(c.u8("block length"), "block");
      case DW_FORM.block2:
        return c.bytesOf(c.u16("block length"), "block");
      case DW_FORM.block4:
        return c.bytesOf(c.u32("block length"), "block");
      case DW_FORM.strx:
      case DW_FORM.GNU_str_index:
      case DW_FORM.addrx:
      case DW_FORM.GNU_addr_index:
      case DW_FORM.loclistx:
      case DW_FORM.rnglistx:
        return c.uleb("index");
      case DW_FORM.strx1:
      case DW_FORM.addrx1:
        return c.u8("index");
      case DW_FORM.strx2:
      case DW_FORM.addrx2:
        return c.u16("index");
      case DW_FORM.strx3:
      case DW_FORM.addrx3:
        return c.u24("index");
      case DW_FORM.strx4:
      case DW_FORM.addrx4:
        return c.u32("index");
      default:
        throw c.error(`attribute uses form ${formName(form)}, which cannot be read`);
    }
  }

  /** strx/addrx values: through .debug_str_offsets / .debug_addr and the unit's bases. */
  private resolveIndexed(unit: DwarfUnit, dies: Die[]): void {
    if (dies.length === 0) return;
    const root = unit.root;
    const strBase = numberOr(root?.value(DW_AT.str_offsets_base), unit.version >= 5 ? 8 : 0);
    const addrBase = numberOr(root?.value(DW_AT.addr_base), unit.version >= 5 ? 8 : 0);
    for (const die of dies) {
      for (const i of die.layout.indexed) {
        const form = die.layout.forms[i] as number;
        const index = die.values[i] as number;
        const isString = isStringIndexForm(form);
        const name = isString ? ".debug_str_offsets" : ".debug_addr";
        const table = this.sections.get(name);
        if (!table)
          throw errorAt(
            this.info(),
            `${formName(form)} needs ${name}, which the object does not have`,
            die.offset,
          );
        const size = isString ? unit.offsetSize : unit.addressSize;
        const entryAt = (isString ? strBase : addrBase) + index * size;
        const c = new Cursor(table, entryAt, table.bytes.length);
        const value = size === 8 ? c.u64Constant(`${name} entry ${index}`) : c.u32(`${name} entry ${index}`);
        if (!isString) die.values[i] = value;
        else if (typeof value !== "number")
          throw c.error(`string offset entry ${index} is too large`, entryAt);
        else die.values[i] = this.strings.at(value, c, `${name} entry ${index}`, entryAt);
      }
    }
  }

  /** References to DIEs: ref1..ref_udata within their own section, ref_addr into .debug_info. */
  resolveRefs(states: SectionState[], info: SectionState): void {
    const signatures = this.typeDies(states);
    for (const state of states) {
      for (const die of state.dies.values()) {
        const layout = die.layout;
        for (const i of layout.unitRefs) die.values[i] = resolve(die, i, state);
        for (const i of layout.infoRefs) die.values[i] = resolve(die, i, info);
        // A signature of a type unit that is not in this object (split DWARF) stays a bigint.
        for (const i of layout.signatures)
          die.values[i] = signatures.get(die.values[i] as bigint) ?? (die.values[i] as bigint);
      }
    }
  }

  /** The type each type unit describes, by signature. */
  private typeDies(states: SectionState[]): Map<bigint, Die> {
    const bySignature = new Map<bigint, Die>();
    for (const [unit, offset] of this.typeUnitOffsets) {
      const state = states.find((s) => s.section.name === unit.section);
      const die = state?.dies.get(offset);
      if (die === undefined || die.unit !== unit)
        throw errorAt(
          state?.section ?? this.info(),
          `type unit at 0x${unit.offset.toString(16)} names its type at 0x${offset.toString(16)}, which is not one of its DIEs`,
          unit.offset,
        );
      unit.typeDie = die;
      if (unit.typeSignature !== undefined) bySignature.set(unit.typeSignature, die);
    }
    return bySignature;
  }
}

function isStringIndexForm(form: number): boolean {
  return (
    form === DW_FORM.strx ||
    form === DW_FORM.GNU_str_index ||
    (form >= DW_FORM.strx1 && form <= DW_FORM.strx4)
  );
}

function numberOr(value: AttrValue | undefined, fallback: number): number {
  return typeof value === "number" ? value : fallback;
}

function errorAt(section: DebugSection, reason: string, pos: number) {
  return new Cursor(section, pos, pos).error(reason, pos);
}

/** Whether an offset lies inside a function body the reader stepped over. */
function inSkipped(skipped: number[], offset: number): boolean {
  let lo = 0;
  let hi = skipped.length / 2;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((skipped[2 * mid + 1] as number) <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo < skipped.length / 2 && (skipped[2 * lo] as number) <= offset;
}

/**
 * The DIE a reference attribute names, or an ElfError at the referring DIE. A reference into a
 * function body that was stepped over stays the offset it is (Die.ref() gives undefined).
 */
function resolve(die: Die, i: number, state: SectionState): Die | number {
  const offset = die.values[i] as number;
  const target = state.dies.get(offset);
  if (target !== undefined) return target;
  if (inSkipped(state.skipped, offset)) return offset;
  throw errorAt(
    state.section,
    `DIE 0x${die.offset.toString(16)} refers to 0x${offset.toString(16)} in ${state.section.name}, which is not the start of a DIE`,
    die.offset,
  );
}

export interface ReadDwarfOptions {
  /**
   * Build no DIE below a subprogram other than its formal parameters (and `...`): a function's
   * local variables, blocks, inlined calls and call sites are stepped over, by DW_AT_sibling
   * where gcc wrote one. Half the DIEs of a big unit, which the layout comparison never reads.
   */
  skipFunctionBodies?: boolean;
}

/**
 * The DWARF of a relocatable object, or null when it has no .debug_info. Throws ElfError when
 * the debug information is malformed.
 */
export function readDwarf(obj: ElfObject, options: ReadDwarfOptions = {}): DwarfInfo | null {
  const reader = new DwarfReader(obj, options.skipFunctionBodies === true);
  const info = reader.readSection(".debug_info");
  if (!info) return null;
  const types = reader.readSection(".debug_types");
  reader.resolveRefs(types ? [info, types] : [info], info);
  const roots = (types: number[]) =>
    reader.units.filter((u) => types.includes(u.unitType)).flatMap((u) => (u.root ? [u.root] : []));
  return {
    units: reader.units,
    compileUnits: roots([DW_UT.compile, DW_UT.partial]),
    typeUnits: roots([DW_UT.type, DW_UT.split_type]),
    dieAt: (offset) => info.dies.get(offset),
    dieCount: reader.dieCount,
  };
}
