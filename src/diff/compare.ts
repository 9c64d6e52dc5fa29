// SPDX-License-Identifier: GPL-2.0-only
// Deciding whether a correlated function or object changed: bytes, relocations compared
// symbolically (./fingerprint.ts), and the function's special-section entries. A difference
// that is only the `__LINE__` immediate passed to a WARN/BUG/might_sleep-like call, or only
// the line field of a __bug_table entry, is reported as line-only, not as a change.

import { renderRelocs, renderTarget, type Side, targetKey } from "./fingerprint.ts";
import { type DReloc, type DSection, type DSymbol, relocsIn } from "./model.ts";
import {
  isLineMacroCallee,
  isPerSiteDataSection,
  isSpecialStatic,
  isStringSection,
  SHT_NOBITS,
} from "./predicates.ts";
import { resolveTarget } from "./resolve.ts";
import type { Entry } from "./special-sections.ts";
import type { FuncUnit } from "./units.ts";

export type Comparison =
  | { kind: "same" }
  | { kind: "line-only"; detail: string }
  | { kind: "changed"; detail: string };

const MOV_IMM_ESI = 0xbe;
const MOV_IMM_EDX = 0xba;

function bytesOf(sec: DSection, start: number, end: number): Uint8Array {
  if (sec.type === SHT_NOBITS) return new Uint8Array(0);
  return sec.data.subarray(start, end);
}

/** Offsets (relative) where two equal-length byte ranges differ. */
function differingOffsets(a: Uint8Array, b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

/**
 * The only differences are inside `mov $imm32,%esi` / `mov $imm32,%edx` whose next call is to
 * a function taking a line number (kpatch's long-standing heuristic, x86_64 argument 2 and 3).
 */
function lineImmediatesOnly(
  side: Side,
  unit: FuncUnit,
  orig: Uint8Array,
  patched: Uint8Array,
  diffs: number[],
): boolean {
  const opcodes = new Set<number>();
  for (const d of diffs) {
    let found = -1;
    for (let o = d - 1; o >= Math.max(0, d - 4); o--) {
      const a = orig[o];
      if ((a === MOV_IMM_ESI || a === MOV_IMM_EDX) && patched[o] === a) {
        found = o;
        break;
      }
    }
    if (found < 0) return false;
    opcodes.add(found);
  }
  for (const o of opcodes) if (!nextCallTakesLine(side, unit, unit.start + o + 5)) return false;
  return true;
}

function nextCallTakesLine(side: Side, unit: FuncUnit, from: number): boolean {
  for (const r of unit.relocs) {
    if (r.offset < from) continue;
    const t = resolveTarget(unit.sec, r);
    if (t.kind === "anon" && isStringSection(t.sec)) continue;
    if (t.kind === "symbol" && isSpecialStatic(t.sym)) continue;
    if (t.kind === "anon" && isPerSiteDataSection(t.sec.name)) continue;
    const name =
      t.kind === "external" ? t.name : t.kind === "symbol" ? t.sym.name : renderTarget(side, t, false);
    return isLineMacroCallee(name);
  }
  return false;
}

/** Renders special entries for comparison; the line field is masked and returned apart. */
function renderEntries(side: Side, entries: Entry[], unit: FuncUnit): { body: string[]; lines: string[] } {
  const body: string[] = [];
  const lines: string[] = [];
  for (const e of entries) {
    if (!e.kind.compare) continue;
    const bytes = Uint8Array.from(e.sec.data.subarray(e.offset, e.offset + e.size));
    const line = e.kind.line && e.size >= e.kind.line.offset + e.kind.line.size ? e.kind.line : undefined;
    if (line) {
      lines.push(Buffer.from(bytes.subarray(line.offset, line.offset + line.size)).toString("hex"));
      bytes.fill(0, line.offset, line.offset + line.size);
    }
    const relocs = renderRelocs(side, e.sec, relocsIn(e.sec, e.offset, e.offset + e.size), e.offset);
    body.push(`${e.sec.name}:${Buffer.from(bytes).toString("hex")}:${relocs.join(";")}`);
  }
  void unit;
  return { body, lines };
}

export function compareFunctions(
  origSide: Side,
  patchedSide: Side,
  ou: FuncUnit,
  pu: FuncUnit,
  origEntries: Entry[],
  patchedEntries: Entry[],
): Comparison {
  let lineOnly: string | undefined;
  const ob = bytesOf(ou.sec, ou.start, ou.end);
  const pb = bytesOf(pu.sec, pu.start, pu.end);
  if (ob.length !== pb.length) return { kind: "changed", detail: `code size ${ob.length} -> ${pb.length}` };
  if (ou.relocs.length !== pu.relocs.length) return { kind: "changed", detail: "relocations differ" };
  // Cheap checks first: differing bytes that are not a line immediate settle it.
  const diffs = differingOffsets(ob, pb);
  if (diffs.length > 0 && !lineImmediatesOnly(patchedSide, pu, ob, pb, diffs)) {
    return { kind: "changed", detail: `code differs at +0x${(diffs[0] ?? 0).toString(16)}` };
  }
  for (let i = 0; i < ou.relocs.length; i++) {
    const r = ou.relocs[i] as DReloc;
    const q = pu.relocs[i] as DReloc;
    if (r.offset - ou.start !== q.offset - pu.start || r.type !== q.type)
      return { kind: "changed", detail: "relocations differ" };
    const a = targetKey(origSide, ou.sec, r);
    const b = targetKey(patchedSide, pu.sec, q);
    if (a !== b)
      return {
        kind: "changed",
        detail: `reference differs at +0x${(r.offset - ou.start).toString(16)}: ${a} -> ${b}`,
      };
  }
  if (diffs.length > 0) lineOnly = "only the __LINE__ argument of a WARN/might_sleep-like call changed";
  const oe = renderEntries(origSide, origEntries, ou);
  const pe = renderEntries(patchedSide, patchedEntries, pu);
  if (oe.body.join("\n") !== pe.body.join("\n"))
    return { kind: "changed", detail: "special-section entries differ" };
  if (oe.lines.join(",") !== pe.lines.join(","))
    lineOnly ??= "only the line number of a WARN/BUG (__bug_table) changed";
  return lineOnly ? { kind: "line-only", detail: lineOnly } : { kind: "same" };
}

export function compareObjects(origSide: Side, patchedSide: Side, o: DSymbol, p: DSymbol): Comparison {
  if (!o.section || !p.section) return { kind: "same" };
  if (o.size !== p.size) return { kind: "changed", detail: `size ${o.size} -> ${p.size}` };
  const ob = bytesOf(o.section, o.value, o.value + o.size);
  const pb = bytesOf(p.section, p.value, p.value + p.size);
  if (ob.length !== pb.length)
    return { kind: "changed", detail: "initial value changed (now zero-initialised or now initialised)" };
  const or = renderRelocs(origSide, o.section, relocsIn(o.section, o.value, o.value + o.size), o.value);
  const pr = renderRelocs(patchedSide, p.section, relocsIn(p.section, p.value, p.value + p.size), p.value);
  if (or.join("\n") !== pr.join("\n")) return { kind: "changed", detail: "initial value changed (pointers)" };
  if (differingOffsets(ob, pb).length > 0) return { kind: "changed", detail: "initial value changed" };
  return { kind: "same" };
}

/** Same bytes and relocation places and types: only what the relocations point to may differ. */
export function sameCodeShape(ou: FuncUnit, pu: FuncUnit): boolean {
  const ob = bytesOf(ou.sec, ou.start, ou.end);
  const pb = bytesOf(pu.sec, pu.start, pu.end);
  if (ob.length !== pb.length || differingOffsets(ob, pb).length > 0 || ou.relocs.length !== pu.relocs.length)
    return false;
  return ou.relocs.every((r, i) => {
    const q = pu.relocs[i];
    return q !== undefined && r.offset - ou.start === q.offset - pu.start && r.type === q.type;
  });
}
