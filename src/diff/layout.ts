// SPDX-License-Identifier: GPL-2.0-only
// The layout stage of the differ: the debug information of both builds compared for what the
// running kernel may hold instances of, or what code outside the patch relies on. Object code
// alone shows a struct change only in the functions that use the struct; the instances the
// running kernel already allocated are invisible there. The compiler's DWARF says exactly
// how every type is laid out, so a changed layout is proven, and the same layout spelled
// differently (a renamed member, a respelled array dimension, a typedef to a type of the same
// layout) is proven unchanged. Refused (kpatch's patch author guide: "data structure changes"):
// - a struct, union or typedef present in both builds whose layout differs (size, member
//   offsets, bit-fields, member types compared by layout, recursively);
// - an enum constant whose value changed, except a count sentinel (see countSentinel);
// - a global or file-scope variable whose type changed (read-only ones are a note: their
//   users change and carry the new copy);
// - a non-static function whose prototype changed ("changed-interface": callers outside the
//   patch call it the old way), unless the caller says every caller is in the patch
//   (DiffOptions.interfaceCallersPatched); a static one whose address is taken, always.
// Types, constants, variables and functions found in one build only are not changes.

import {
  byteSize,
  type Constant,
  type Die,
  DW_TAG,
  isAggregate,
  isConstType,
  prototypeText,
  resolved,
  typeText,
} from "../elf/dwarf/index.ts";
import type { ElfObject } from "../elf/index.ts";
import { functionUses } from "./address-uses.ts";
import { type DebugCatalogue, debugCatalogue, type EnumConstant } from "./debug-catalogue.ts";
import { layoutSummary, memberChanges } from "./layout-describe.ts";
import { Shapes, ShapeTable, signatureOf } from "./layout-shapes.ts";
import type { DiffObject } from "./model.ts";
import type {
  DebugInfoStats,
  DiffOptions,
  FunctionUses,
  LayoutChange,
  LayoutSubject,
  Refusal,
} from "./types.ts";
import { changedEnumValues, changedLayout, changedPrototype, changedVariableType } from "./verdicts.ts";

export interface LayoutReport {
  changes: LayoutChange[];
  refusals: Refusal[];
  notes: string[];
  warnings: string[];
  functionUses: { orig: FunctionUses; patched: FunctionUses };
  debugInfo: DebugInfoStats | null;
}

/** The report of objects whose debug information was not compared (diffViews on views alone). */
export function noLayoutReport(): LayoutReport {
  const none = { addressTaken: [], exported: [] };
  return {
    changes: [],
    refusals: [],
    notes: [],
    warnings: [],
    functionUses: { orig: none, patched: none },
    debugInfo: null,
  };
}

/** One side of the comparison: its catalogue and its shapes. */
interface Side {
  catalogue: DebugCatalogue;
  shapes: Shapes;
}

/** A change, with the refusal or the note it makes. */
interface Finding {
  change: LayoutChange;
  refusal?: Refusal;
  note?: string;
}

function refused(change: Omit<LayoutChange, "verdict">, refusal: Refusal): Finding {
  const kind = refusal.kind === "changed-interface" ? "changed-interface" : "unsafe-data";
  return { change: { ...change, verdict: "refused", refusal: kind }, refusal };
}

function noted(change: Omit<LayoutChange, "verdict">, note: string): Finding {
  return { change: { ...change, verdict: "note" }, note };
}

function sizeText(type: Die | undefined): string {
  const size = byteSize(type);
  return `${typeText(type)} (${size === undefined ? "no fixed size" : `${size} bytes`})`;
}

function sizes(a: Die | undefined, b: Die | undefined): { size?: { old?: number; new?: number } } {
  const o = byteSize(a);
  const n = byteSize(b);
  return o === undefined && n === undefined ? {} : { size: { old: o, new: n } };
}

// --- types -------------------------------------------------------------------------------

const subjectOf: ReadonlyMap<number, LayoutSubject> = new Map([
  [DW_TAG.structure_type, "struct"],
  [DW_TAG.union_type, "union"],
  [DW_TAG.enumeration_type, "enum"],
  [DW_TAG.typedef, "typedef"],
]);

/** A typedef for a named struct/union/enum in both builds: that type's own entry covers it. */
function namesSameType(oldTypedef: Die, newTypedef: Die): boolean {
  const a = resolved(oldTypedef.type);
  const b = resolved(newTypedef.type);
  return a !== undefined && b !== undefined && a.tag === b.tag && a.name !== undefined && a.name === b.name;
}

/** How a struct, union or variable type changed: members when both are aggregates. */
function aggregateEvidence(a: Die | undefined, b: Die | undefined, o: Side, p: Side) {
  const ra = resolved(a);
  const rb = resolved(b);
  if (!ra || !rb || !isAggregate(ra) || !isAggregate(rb)) return undefined;
  const members = memberChanges(ra, rb, o.shapes, p.shapes);
  return { members, summary: layoutSummary(byteSize(ra), byteSize(rb), members) };
}

function typeFinding(key: string, od: Die, pd: Die, o: Side, p: Side): Finding {
  const subject = subjectOf.get(od.tag) ?? "struct";
  if (od.tag === DW_TAG.typedef) {
    const evidence = aggregateEvidence(od.type, pd.type, o, p);
    const before = typeText(od.type);
    const after = typeText(pd.type);
    const summary =
      evidence?.summary ??
      (before === after ? `${before}: its layout changed` : `${sizeText(od.type)} -> ${sizeText(pd.type)}`);
    return refused(
      {
        subject,
        name: key,
        summary,
        old: before,
        new: after,
        ...sizes(od.type, pd.type),
        ...(evidence ? { members: evidence.members } : {}),
      },
      changedLayout(key, summary),
    );
  }
  if (od.tag === DW_TAG.enumeration_type) {
    const summary = `size ${byteSize(od) ?? "?"} -> ${byteSize(pd) ?? "?"}`;
    return refused({ subject, name: key, summary, ...sizes(od, pd) }, changedLayout(key, summary));
  }
  const members = memberChanges(od, pd, o.shapes, p.shapes);
  const summary = layoutSummary(byteSize(od), byteSize(pd), members);
  return refused({ subject, name: key, summary, ...sizes(od, pd), members }, changedLayout(key, summary));
}

function typeFindings(o: Side, p: Side): Finding[] {
  const out: Finding[] = [];
  for (const [key, od] of o.catalogue.types) {
    const pd = p.catalogue.types.get(key);
    if (pd === undefined || pd.tag !== od.tag) continue;
    if (od.tag === DW_TAG.typedef && namesSameType(od, pd)) continue;
    if (o.shapes.of(od) === p.shapes.of(pd)) continue;
    out.push(isUnheldScalarTypedef(od, pd, o) ? unheldTypedef(key, od, pd) : typeFinding(key, od, pd, o, p));
  }
  return out;
}

/**
 * A typedef of a scalar or an array holds no data of its own: its instances live in the
 * structs, unions and variables typed with it (each compared on its own) or, through a pointer,
 * in memory they point to. A changed typedef that none of them uses (`layer_mask_t`, only in
 * arrays on the stack of the functions the patch replaces) reaches no live object.
 */
function unheldTypedef(key: string, od: Die, pd: Die): Finding {
  const summary = `${sizeText(od.type)} -> ${sizeText(pd.type)}`;
  return noted(
    {
      subject: "typedef",
      name: key,
      summary,
      old: typeText(od.type),
      new: typeText(pd.type),
      ...sizes(od.type, pd.type),
    },
    `${key} changed (${summary}), but no struct, union or variable of the unit holds it, even through a pointer: only locals and parameters of replaced functions have it`,
  );
}

/**
 * A typedef of a scalar (or an array of scalars) in both builds that no struct, union or
 * variable of the unit reaches. A typedef of a struct or union names objects that live on the
 * heap by themselves (kmalloc'ed `Node`s reached only through list links): always judged.
 */
function isUnheldScalarTypedef(od: Die, pd: Die, o: Side): boolean {
  if (od.tag !== DW_TAG.typedef || od.name === undefined) return false;
  const elementOf = (type: Die | undefined): Die | undefined => {
    let t = resolved(type);
    for (let i = 0; t?.tag === DW_TAG.array_type && i < 8; i++) t = resolved(t.type);
    return t;
  };
  const [a, b] = [elementOf(od.type), elementOf(pd.type)];
  if (!a || !b || isAggregate(a) || isAggregate(b)) return false;
  return typedefHolder(od.name, o.catalogue) === undefined;
}

/** Whether `type` leads to the typedef `name` through pointers, arrays, qualifiers, typedefs. */
function reachesTypedef(type: Die | undefined, name: string): boolean {
  let t = type;
  for (let i = 0; t !== undefined && i < 16; i++) {
    if (t.tag === DW_TAG.typedef && t.name === name) return true;
    t = t.type;
  }
  return false;
}

/** Members of an aggregate, anonymous nested aggregates' members included. */
function membersOf(aggregate: Die, depth = 0): Die[] {
  const out: Die[] = [];
  for (const m of aggregate.children) {
    if (m.tag !== DW_TAG.member) continue;
    out.push(m);
    const inner = resolved(m.type);
    if (m.name === undefined && inner && isAggregate(inner) && depth < 8)
      out.push(...membersOf(inner, depth + 1));
  }
  return out;
}

/**
 * The struct, union or variable of the catalogue whose type reaches typedef `name` ("" when the
 * type is an aggregate itself, judged by its own layout), or undefined when none does.
 */
function typedefHolder(name: string, catalogue: DebugCatalogue): string | undefined {
  for (const [key, die] of catalogue.types) {
    const aggregate = resolved(die);
    if (aggregate && isAggregate(aggregate) && membersOf(aggregate).some((m) => reachesTypedef(m.type, name)))
      return key;
  }
  for (const v of catalogue.variables.values()) if (reachesTypedef(v.die.type, name)) return v.name;
  return undefined;
}

// --- enum constants ----------------------------------------------------------------------

interface ValueChange {
  name: string;
  old: Constant;
  new: Constant;
}

function enumName(enumType: Die, catalogue: DebugCatalogue): string {
  if (enumType.name !== undefined) return `enum ${enumType.name}`;
  const typedef = catalogue.typedefNames.get(enumType);
  if (typedef !== undefined) return `typedef ${typedef}`;
  const first = enumType.children.find((e) => e.tag === DW_TAG.enumerator)?.name;
  return `enum {${first ?? ""}, ...}`;
}

/** Words that name a count or a limit rather than a value stored in objects. */
const sentinelWords: ReadonlySet<string> = new Set([
  "MAX",
  "NUM",
  "NR",
  "COUNT",
  "CNT",
  "LAST",
  "LIMIT",
  "TOTAL",
  "NBITS",
]);

function looksLikeSentinel(name: string): boolean {
  return name
    .toUpperCase()
    .split("_")
    .some((w) => sentinelWords.has(w));
}

/**
 * Whether the only constants that changed are the enum's count sentinels (`__FOO_MAX`,
 * `FOO_MAX = __FOO_MAX - 1`, `NR_FOO`): they come after every constant that kept its value,
 * constants were added before them, they only grew and stay the highest, and their names say
 * they count or bound. Such a constant is not stored in objects; what it sizes (arrays in
 * structs and variables) is compared as a layout, and code that uses it changes. A constant
 * that fits the pattern but names a real value (a last state moved by one inserted before it)
 * would be missed, hence the name test: anything else stays a refusal.
 */
function isCountSentinel(changed: ValueChange[], enumType: Die, o: Side, p: Side): boolean {
  const members = [...p.catalogue.constants.values()]
    .filter((c) => c.enumType === enumType)
    .sort((a, b) => a.index - b.index);
  const changedNames = new Set(changed.map((c) => c.name));
  const isChanged = (c: EnumConstant) => changedNames.has(c.name);
  const added = members.filter((c) => !o.catalogue.constants.has(c.key));
  const kept = members.filter((c) => o.catalogue.constants.has(c.key) && !isChanged(c));
  const firstChanged = Math.min(...members.filter(isChanged).map((c) => c.index));
  if (added.length === 0 || (added[0] as EnumConstant).index > firstChanged) return false;
  if (kept.some((c) => c.index > firstChanged)) return false;
  const highestOther = [...kept, ...added].reduce(
    (m, c) => (BigInt(c.value) > m ? BigInt(c.value) : m),
    -(1n << 64n),
  );
  return changed.every(
    (c) => looksLikeSentinel(c.name) && BigInt(c.new) > BigInt(c.old) && BigInt(c.new) >= highestOther,
  );
}

function enumFindings(o: Side, p: Side): Finding[] {
  const byEnum = new Map<Die, ValueChange[]>();
  for (const [key, oc] of o.catalogue.constants) {
    const pc = p.catalogue.constants.get(key);
    if (pc === undefined || String(pc.value) === String(oc.value)) continue;
    const list = byEnum.get(pc.enumType) ?? [];
    list.push({ name: pc.name, old: oc.value, new: pc.value });
    byEnum.set(pc.enumType, list);
  }
  const out: Finding[] = [];
  for (const [enumType, changed] of byEnum) {
    const name = enumName(enumType, p.catalogue);
    const summary = changed.map((c) => `${c.name}: ${c.old} -> ${c.new}`).join(", ");
    const change = {
      subject: "enum" as const,
      name,
      summary,
      constants: changed.map((c) => ({ name: c.name, old: String(c.old), new: String(c.new) })),
    };
    if (isCountSentinel(changed, enumType, o, p))
      out.push(
        noted(
          change,
          `${name}: only its count sentinel changed (${summary}) after constants were added before it; every other constant keeps its value, and what it sizes is compared as a layout`,
        ),
      );
    else out.push(refused(change, changedEnumValues(name, summary)));
  }
  return out;
}

// --- variables ---------------------------------------------------------------------------

function variableFindings(o: Side, p: Side): Finding[] {
  const out: Finding[] = [];
  for (const [key, ov] of o.catalogue.variables) {
    const pv = p.catalogue.variables.get(key);
    if (pv === undefined) continue;
    const a = ov.die.type;
    const b = pv.die.type;
    if (o.shapes.of(a) === p.shapes.of(b)) continue;
    const evidence = aggregateEvidence(a, b, o, p);
    const types = typeText(a) === typeText(b) ? typeText(a) : `${typeText(a)} -> ${typeText(b)}`;
    const summary = `${types}${evidence ? `: ${evidence.summary}` : `, ${byteSize(a) ?? "?"} -> ${byteSize(b) ?? "?"} bytes`}`;
    const change = {
      subject: "variable" as const,
      name: key,
      summary,
      old: typeText(a),
      new: typeText(b),
      ...sizes(a, b),
      ...(evidence ? { members: evidence.members } : {}),
    };
    if (isConstType(a) && isConstType(b))
      out.push(
        noted(
          change,
          `read-only ${key} changed type (${summary}): the functions of this unit that use it change and carry the new copy; a unit outside the patch that uses it keeps the old one`,
        ),
      );
    else out.push(refused(change, changedVariableType(key, summary)));
  }
  return out;
}

// --- prototypes --------------------------------------------------------------------------

/** A type that differs between the builds: its spellings, and its sizes when only the layout moved. */
function typeChange(a: Die | undefined, b: Die | undefined): string {
  const before = typeText(a);
  const after = typeText(b);
  return before === after
    ? `${sizeText(a)} -> ${byteSize(b) ?? "no fixed size"} bytes`
    : `${before} -> ${after}`;
}

/**
 * What differs between two prototypes, part by part: "a new parameter 2 (int)", "parameter 3:
 * const access_mask_t (2 bytes) -> 4 bytes" (same spelling, another layout), "return type ...".
 */
function prototypeDifferences(of: Die, pf: Die, o: Side, p: Side): string {
  const a = signatureOf(of);
  const b = signatureOf(pf);
  const parts: string[] = [];
  if (o.shapes.of(a.returns) !== p.shapes.of(b.returns))
    parts.push(`return type ${typeChange(a.returns, b.returns)}`);
  const shared = Math.min(a.params.length, b.params.length);
  for (let i = 0; i < shared; i++)
    if (o.shapes.of(a.params[i]) !== p.shapes.of(b.params[i]))
      parts.push(`parameter ${i + 1} ${typeChange(a.params[i], b.params[i])}`);
  for (let i = shared; i < b.params.length; i++)
    parts.push(`new parameter ${i + 1} (${typeText(b.params[i])})`);
  for (let i = shared; i < a.params.length; i++)
    parts.push(`parameter ${i + 1} (${typeText(a.params[i])}) removed`);
  if (a.variadic !== b.variadic) parts.push(b.variadic ? "now variadic" : "no longer variadic");
  return parts.length > 0 ? parts.join(", ") : "a parameter's layout changed";
}

function prototypeFindings(
  o: Side,
  p: Side,
  uses: { orig: FunctionUses; patched: FunctionUses },
  options: DiffOptions,
): Finding[] {
  const taken = new Set([...uses.orig.addressTaken, ...uses.patched.addressTaken]);
  const exported = new Set([...uses.orig.exported, ...uses.patched.exported]);
  const out: Finding[] = [];
  for (const [key, of] of o.catalogue.functions) {
    const pf = p.catalogue.functions.get(key);
    if (pf === undefined) continue;
    if (o.shapes.prototype(of.prototype) === p.shapes.prototype(pf.prototype)) continue;
    const name = of.name;
    const external = of.external || pf.external;
    const before = prototypeText(of.prototype, name);
    const after = prototypeText(pf.prototype, name);
    const details = prototypeDifferences(of.prototype, pf.prototype, o, p);
    const change = { subject: "function" as const, name: key, summary: details, old: before, new: after };
    if (!external) {
      // Every direct caller of a static function is in this unit and changes with it.
      if (!taken.has(name)) continue;
      const why =
        "it is static, but its address is taken (stored in data such as an ops table, or passed as a callback): calls through the pointers the running kernel holds keep passing the old arguments";
      out.push(refused(change, changedPrototype(key, before, after, details, why)));
      continue;
    }
    const local = [
      ...(taken.has(name) ? ["this unit takes its address"] : []),
      ...(exported.has(name) ? ["this unit exports it"] : []),
    ];
    if (options.interfaceCallersPatched?.has(name) && local.length === 0) {
      out.push(
        noted(
          change,
          `the prototype of ${name} changed (${details}: \`${before}\` -> \`${after}\`); every caller is rebuilt in this patch`,
        ),
      );
      continue;
    }
    const why = `callers outside this patch (other units, modules) keep calling it the old way${local.length > 0 ? ` (${local.join(", ")})` : ""}`;
    out.push(refused(change, changedPrototype(key, before, after, details, why)));
  }
  return out;
}

// --- the stage ---------------------------------------------------------------------------

function side(catalogue: DebugCatalogue, table: ShapeTable): Side {
  return { catalogue, shapes: new Shapes(table, catalogue.typedefNames) };
}

function countShared<K>(a: ReadonlyMap<K, unknown>, b: ReadonlyMap<K, unknown>): number {
  let n = 0;
  for (const k of a.keys()) if (b.has(k)) n++;
  return n;
}

function missingDebugInfo(orig: boolean, patched: boolean): string {
  const which =
    !orig && !patched
      ? "neither object has"
      : !orig
        ? "the original object has no"
        : "the patched object has no";
  return `${which} debug information (.debug_info): struct layouts, enum values, variable types and prototypes were not compared (build with -g)`;
}

/** The layout stage on two builds of one unit (ELF objects and the differ's views of them). */
export function compareLayouts(
  orig: ElfObject,
  patched: ElfObject,
  views: { orig: DiffObject; patched: DiffObject },
  options: DiffOptions,
): LayoutReport {
  const uses = { orig: functionUses(views.orig), patched: functionUses(views.patched) };
  const oc = debugCatalogue(orig);
  const pc = debugCatalogue(patched);
  const report: LayoutReport = {
    changes: [],
    refusals: [],
    notes: [],
    warnings: [],
    functionUses: uses,
    debugInfo: null,
  };
  if (!oc || !pc) {
    report.warnings.push(missingDebugInfo(oc !== null, pc !== null));
    return report;
  }
  const table = new ShapeTable();
  const o = side(oc, table);
  const p = side(pc, table);
  const findings = [
    ...typeFindings(o, p),
    ...enumFindings(o, p),
    ...variableFindings(o, p),
    ...prototypeFindings(o, p, uses, options),
  ];
  for (const f of findings) {
    report.changes.push(f.change);
    if (f.refusal) report.refusals.push(f.refusal);
    if (f.note) report.notes.push(f.note);
  }
  report.debugInfo = {
    types: countShared(oc.types, pc.types),
    constants: countShared(oc.constants, pc.constants),
    functions: countShared(oc.functions, pc.functions),
    variables: countShared(oc.variables, pc.variables),
  };
  return report;
}
