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
import type { DiffOptions } from "./types.ts";
import type { FuncUnit } from "./units.ts";

export type Comparison =
  | { kind: "same" }
  | { kind: "line-only"; detail: string }
  | { kind: "changed"; detail: string };

/** Any byte (the disp8 of a stack slot). */
const ANY = -1;
/**
 * Instructions that put a 32-bit immediate where a call takes an argument, as the bytes before
 * the immediate: `mov $imm32, %reg` for the six argument registers (edi, esi, edx, ecx, and
 * r8d/r9d with a REX.B prefix), and for the 7th argument on, `push $imm32` or
 * `movl $imm32, disp8(%rsp)` (xfs_corruption_error takes __LINE__ 7th). Longest first, so that
 * `41 b9` reads as %r9d, not as a stray 0x41 before %ecx.
 */
const IMMEDIATE_ARGUMENTS = [
  { where: "stack", bytes: [0xc7, 0x44, 0x24, ANY] },
  { where: "r8d", bytes: [0x41, 0xb8] },
  { where: "r9d", bytes: [0x41, 0xb9] },
  { where: "edi", bytes: [0xbf] },
  { where: "esi", bytes: [0xbe] },
  { where: "edx", bytes: [0xba] },
  { where: "ecx", bytes: [0xb9] },
  { where: "stack", bytes: [0x68] },
] as const;
/** Where kpatch's heuristic knows line arguments of the known callees (2nd and 3rd argument). */
const KNOWN_CALLEE_LINE_REGISTERS = new Set<string>(["esi", "edx"]);

/** One immediate argument whose value differs between the two builds. */
interface ImmediateLoad {
  /** Offset of the instruction in the function. */
  at: number;
  /** Offset just past it (its immediate is the last 4 bytes). */
  end: number;
  where: string;
  orig: number;
  patched: number;
}

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

/** The immediate-argument instruction whose immediate holds the differing byte at `d`, if any. */
function immediateLoadAt(orig: Uint8Array, patched: Uint8Array, d: number): ImmediateLoad | undefined {
  for (let immStart = d; immStart >= Math.max(0, d - 3); immStart--) {
    for (const pattern of IMMEDIATE_ARGUMENTS) {
      const at = immStart - pattern.bytes.length;
      if (at < 0) continue;
      const matches = pattern.bytes.every(
        (byte, i) => patched[at + i] === orig[at + i] && (byte === ANY || orig[at + i] === byte),
      );
      if (!matches) continue;
      const imm = (bytes: Uint8Array) => Buffer.from(bytes.subarray(immStart, immStart + 4)).readUInt32LE(0);
      return { at, end: immStart + 4, where: pattern.where, orig: imm(orig), patched: imm(patched) };
    }
  }
  return undefined;
}

/**
 * Whether every differing byte lies in an immediate call argument (IMMEDIATE_ARGUMENTS) that
 * is a `__LINE__`: the next call takes a line number (kpatch's long-standing heuristic,
 * 2nd and 3rd argument), or — when the source fix is known — the two values are a line the fix
 * moved. Returns how it was recognised, or undefined when it was not.
 */
function lineImmediatesOnly(
  side: Side,
  unit: FuncUnit,
  orig: Uint8Array,
  patched: Uint8Array,
  diffs: number[],
  movedLine: DiffOptions["movedLine"],
): string | undefined {
  const loads = new Map<number, ImmediateLoad>();
  for (const d of diffs) {
    const load = immediateLoadAt(orig, patched, d);
    if (!load) return undefined;
    loads.set(load.at, load);
  }
  let how = "only the __LINE__ argument of a WARN/might_sleep-like call changed";
  for (const load of loads.values()) {
    const callee = nextCallee(side, unit, unit.start + load.end);
    if (callee !== undefined && KNOWN_CALLEE_LINE_REGISTERS.has(load.where) && isLineMacroCallee(callee))
      continue;
    // The moved line is the evidence here, not the callee: a call the compiler merged into a
    // shared tail (`push $line; jmp` to one call) has no call after the immediate.
    if (!movedLine?.(load.orig, load.patched)) return undefined;
    // No callee in the reason: the next call in address order is not always the one the
    // immediate is for (a `jmp` to a shared call sits between).
    how = `only __LINE__ arguments changed (the fix moved line ${load.orig} to ${load.patched})`;
  }
  return how;
}

/** The name of the first function called after offset `from` (string and per-site data skipped). */
function nextCallee(side: Side, unit: FuncUnit, from: number): string | undefined {
  for (const r of unit.relocs) {
    if (r.offset < from) continue;
    const t = resolveTarget(unit.sec, r);
    if (t.kind === "anon" && isStringSection(t.sec)) continue;
    if (t.kind === "symbol" && isSpecialStatic(t.sym)) continue;
    if (t.kind === "anon" && isPerSiteDataSection(t.sec.name)) continue;
    return t.kind === "external" ? t.name : t.kind === "symbol" ? t.sym.name : renderTarget(side, t, false);
  }
  return undefined;
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
  movedLine?: DiffOptions["movedLine"],
): Comparison {
  let lineOnly: string | undefined;
  const ob = bytesOf(ou.sec, ou.start, ou.end);
  const pb = bytesOf(pu.sec, pu.start, pu.end);
  if (ob.length !== pb.length) return { kind: "changed", detail: `code size ${ob.length} -> ${pb.length}` };
  if (ou.relocs.length !== pu.relocs.length) return { kind: "changed", detail: "relocations differ" };
  // Cheap checks first: differing bytes that are not a line immediate settle it.
  const diffs = differingOffsets(ob, pb);
  const lineChange =
    diffs.length > 0 ? lineImmediatesOnly(patchedSide, pu, ob, pb, diffs, movedLine) : undefined;
  if (diffs.length > 0 && !lineChange) {
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
  lineOnly = lineChange;
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
