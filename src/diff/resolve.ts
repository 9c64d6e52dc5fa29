// SPDX-License-Identifier: GPL-2.0-only
// What a relocation points to, independent of symbol indices and section layout: a named
// symbol (plus a delta), an external name, or an anonymous place in a section (string
// literal, constant pool entry, switch table, alternative replacement) given by offset.
import { type DReloc, type DSection, type DSymbol, symbolAt } from "./model.ts";
import { isText, STT_FUNC, STT_OBJECT } from "./predicates.ts";

const R_PC32 = 2;
const R_PLT32 = 4;
const R_GOTPCREL = 9;
const R_GOTPCRELX = 41;
const R_REX_GOTPCRELX = 42;

export type Target =
  | { kind: "symbol"; sym: DSymbol; delta: number }
  | { kind: "external"; name: string; delta: number }
  | { kind: "anon"; sec: DSection; offset: number; raw: number }
  | { kind: "none" };

/** True for PC-relative 32-bit fields, whose addend is biased by the bytes after the field. */
export function isPcRelative32(type: number): boolean {
  return (
    type === R_PC32 ||
    type === R_PLT32 ||
    type === R_GOTPCREL ||
    type === R_GOTPCRELX ||
    type === R_REX_GOTPCRELX
  );
}

/**
 * Resolves a relocation of section `from`. References through a section symbol or a local
 * label are turned into the function/object symbol they land in (what kpatch calls replacing
 * section symbols), so that `.text.foo+0x10` and `foo+0x10` compare equal.
 */
export function resolveTarget(from: DSection, r: DReloc): Target {
  const sym = r.symbol;
  if (sym.index === 0) return { kind: "none" };
  if (!sym.section) return { kind: "external", name: sym.name, delta: r.addend };
  if (sym.type === STT_FUNC || sym.type === STT_OBJECT) return { kind: "symbol", sym, delta: r.addend };
  const sec = sym.section;
  const raw = sym.value + r.addend;
  // From code, a PC-relative field is usually the last 4 bytes of the instruction.
  const offset = isText(from) && isPcRelative32(r.type) ? raw + 4 : raw;
  let hit = symbolAt(sec, offset);
  if (!hit && offset !== raw) hit = symbolAt(sec, raw);
  if (!hit && sec.symbols.length === 1) hit = sec.symbols[0];
  if (hit) return { kind: "symbol", sym: hit, delta: raw - hit.value };
  return { kind: "anon", sec, offset, raw };
}

/** The NUL-terminated string at `offset` of a string section (empty if out of range). */
export function stringAt(sec: DSection, offset: number): string {
  if (offset < 0 || offset >= sec.data.length) return "";
  let end = offset;
  while (end < sec.data.length && sec.data[end] !== 0) end++;
  return Buffer.from(sec.data.buffer, sec.data.byteOffset + offset, end - offset).toString("latin1");
}
