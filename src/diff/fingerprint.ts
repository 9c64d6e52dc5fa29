// SPDX-License-Identifier: GPL-2.0-only
// Symbolic rendering of code and data for comparison: a relocation is written as what it
// points to (a correlated symbol under its ORIGINAL name, an external name, a string literal's
// text, a constant's bytes, or an anonymous chunk's content), never as an index or a layout
// offset, so two builds compare equal exactly when they mean the same thing.
import { createHash } from "node:crypto";
import { type DiffObject, type DReloc, type DSection, type DSymbol, relocsIn } from "./model.ts";
import {
  isConstantPool,
  isPerSiteDataSection,
  isSpecialStatic,
  isStringSection,
  stripNumbers,
} from "./predicates.ts";
import { resolveTarget, stringAt, type Target } from "./resolve.ts";

/** One object's side of the comparison. */
export interface Side {
  obj: DiffObject;
  /** The name a symbol of this side compares under (its original twin's name, or a marker). */
  canonical: (sym: DSymbol) => string;
  /** Section -> sorted offsets where anonymous chunks start (lazily built). */
  boundaries: Map<DSection, number[]>;
}

export function makeSide(obj: DiffObject, canonical: (sym: DSymbol) => string): Side {
  return { obj, canonical, boundaries: new Map() };
}

/** Marker names for symbols that must never compare equal to the other side. */
export function symbolKey(side: Side, sym: DSymbol): string {
  if (isSpecialStatic(sym)) return `special:${stripNumbers(sym.name)}`;
  return side.canonical(sym);
}

function chunkStarts(side: Side, sec: DSection): number[] {
  const cached = side.boundaries.get(sec);
  if (cached) return cached;
  const starts = new Set<number>([0, sec.size]);
  for (const s of sec.symbols) starts.add(s.value);
  for (const from of side.obj.sections) {
    for (const r of from.relocs) {
      if (r.symbol.section !== sec) continue;
      const t = resolveTarget(from, r);
      if (t.kind === "anon") starts.add(t.offset);
    }
  }
  const sorted = [...starts].filter((o) => o >= 0 && o <= sec.size).sort((a, b) => a - b);
  side.boundaries.set(sec, sorted);
  return sorted;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex");
}

/** The content of an anonymous chunk (switch table, alternative replacement, fixup code). */
function chunkKey(side: Side, sec: DSection, offset: number): string {
  const starts = chunkStarts(side, sec);
  let end = sec.size;
  for (const s of starts) {
    if (s > offset) {
      end = s;
      break;
    }
  }
  const h = createHash("sha1");
  if (sec.data.length > 0 && offset >= 0 && end <= sec.data.length) h.update(sec.data.subarray(offset, end));
  for (const r of relocsIn(sec, offset, end))
    h.update(`|${r.offset - offset}:${r.type}:${targetKey(side, sec, r, false)}`);
  return `${stripNumbers(sec.name)}#${h.digest("hex").slice(0, 16)}`;
}

/** How a target is written; `deep` follows anonymous chunks one level (their content). */
export function renderTarget(side: Side, t: Target, deep: boolean): string {
  switch (t.kind) {
    case "none":
      return "-";
    case "external":
      return `ext:${t.name}${signed(t.delta)}`;
    case "symbol":
      return `${symbolKey(side, t.sym)}${signed(t.delta)}`;
    case "anon": {
      const bias = signed(t.raw - t.offset);
      if (isPerSiteDataSection(t.sec.name)) return `special:${t.sec.name}${bias}`;
      if (isStringSection(t.sec)) return `str:${JSON.stringify(stringAt(t.sec, t.offset))}${bias}`;
      if (isConstantPool(t.sec)) {
        const width = t.sec.entsize > 0 ? t.sec.entsize : 8;
        return `cst:${hex(t.sec.data.subarray(Math.max(0, t.offset), Math.max(0, t.offset) + width))}${bias}`;
      }
      if (!deep) return `anon:${stripNumbers(t.sec.name)}`;
      return `anon:${chunkKey(side, t.sec, t.offset)}${bias}`;
    }
  }
}

export function targetKey(side: Side, from: DSection, r: DReloc, deep = true): string {
  return renderTarget(side, resolveTarget(from, r), deep);
}

function signed(n: number): string {
  return n === 0 ? "" : n > 0 ? `+${n}` : `${n}`;
}

/** The relocations of [start, end) of `sec`, rendered relative to `start`. */
export function renderRelocs(side: Side, sec: DSection, relocs: DReloc[], start: number): string[] {
  return relocs.map((r) => `${r.offset - start}:${r.type}:${targetKey(side, sec, r)}`);
}
