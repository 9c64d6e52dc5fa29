// SPDX-License-Identifier: GPL-2.0-only
// A bounds-checked reader over one linked debug section: every read checks the end of the
// current span (a unit, a table) first, so truncated or corrupt DWARF ends in an ElfError that
// says what and where, never in a read past the data or a loop that does not advance.
import { ElfError } from "../errors.ts";
import type { DebugSection } from "./sections.ts";

/** A constant as DWARF stores it: a number when it fits 2^53 exactly, else a bigint. */
export type Constant = number | bigint;

export class Cursor {
  readonly bytes: Uint8Array;
  readonly view: DataView;

  constructor(
    readonly section: DebugSection,
    public pos: number,
    /** The end of the span being read (exclusive). */
    public end: number,
  ) {
    this.bytes = section.bytes;
    this.view = section.view;
  }

  /** An ElfError naming the section, at the file offset `at` came from. */
  error(reason: string, at: number = this.pos): ElfError {
    return new ElfError(`${this.section.name}: ${reason}`, this.section.fileOffset(at));
  }

  need(count: number, what: string): void {
    if (this.pos + count > this.end)
      throw this.error(`${what} runs past the end of its data (0x${this.end.toString(16)})`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++] as number;
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u24(what: string): number {
    this.need(3, what);
    const v = this.view.getUint16(this.pos, true) + (this.bytes[this.pos + 2] as number) * 0x10000;
    this.pos += 3;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(what: string): bigint {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** A 64-bit field as a number when it fits exactly, else a bigint. */
  u64Constant(what: string): Constant {
    this.need(8, what);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    const v = hi < 0x200000 ? hi * 0x100000000 + lo : this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** An offset or length of `size` bytes (4 in 32-bit DWARF, 8 in 64-bit) that must fit 2^53. */
  offset(size: number, what: string): number {
    if (size === 4) return this.u32(what);
    const start = this.pos;
    const v = this.u64Constant(what);
    if (typeof v === "bigint") throw this.error(`${what} 0x${v.toString(16)} is too large`, start);
    return v;
  }
  /** `size` bytes as an unsigned number (1, 2, 4 or 8; an 8-byte one must fit 2^53). */
  sized(size: number, what: string): number {
    if (size === 1) return this.u8(what);
    if (size === 2) return this.u16(what);
    return this.offset(size, what);
  }
  bytesOf(count: number, what: string): Uint8Array {
    this.need(count, what);
    const out = this.bytes.subarray(this.pos, this.pos + count);
    this.pos += count;
    return out;
  }

  /** An unsigned LEB128 number; a bigint when it does not fit 2^53. */
  ulebConstant(what: string): Constant {
    return this.leb(false, what);
  }

  /** An unsigned LEB128 number that must fit 2^53 (lengths, codes, indices). */
  uleb(what: string): number {
    // Fast path for the one-byte numbers that make up most of the DIE stream.
    if (this.pos < this.end) {
      const b = this.bytes[this.pos] as number;
      if (b < 0x80) {
        this.pos++;
        return b;
      }
    }
    const start = this.pos;
    const v = this.ulebConstant(what);
    if (typeof v === "bigint") throw this.error(`${what} 0x${v.toString(16)} is too large`, start);
    return v;
  }

  /** A signed LEB128 number; a bigint when it does not fit 2^53. */
  slebConstant(what: string): Constant {
    return this.leb(true, what);
  }

  private leb(signed: boolean, what: string): Constant {
    const bytes = this.bytes;
    const start = this.pos;
    let result = 0;
    let scale = 1;
    let b = 0;
    for (let i = 0; ; i++) {
      if (this.pos >= this.end) throw this.error(`${what} (LEB128) runs past the end of its data`, start);
      if (i === 16) throw this.error(`${what} (LEB128) is longer than 16 bytes`, start);
      b = bytes[this.pos++] as number;
      result += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) break;
    }
    if (signed && b & 0x40) result -= scale;
    // Up to 7 bytes (49 bits) the sum is exact; longer encodings are decoded exactly.
    return this.pos - start <= 7 ? result : this.bigLeb(start, signed, what);
  }

  /** The exact value of the LEB128 number at `start` (already bounds-checked): a number when it
   * fits 2^53, else a bigint. */
  private bigLeb(start: number, signed: boolean, what: string): Constant {
    let result = 0n;
    let shift = 0n;
    let at = start;
    let b = 0;
    do {
      b = this.bytes[at++] as number;
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
    } while (b & 0x80);
    if (signed && b & 0x40) result -= 1n << shift;
    if (result >= 1n << 64n || result < -(1n << 63n))
      throw this.error(`${what} (LEB128) does not fit 64 bits`, start);
    const small = Number(result);
    return Number.isSafeInteger(small) ? small : result;
  }

  /** A NUL-terminated string in place. */
  cstring(what: string): string {
    const nul = this.bytes.indexOf(0, this.pos);
    if (nul < 0 || nul >= this.end) throw this.error(`${what} has no terminating NUL`);
    const text = decodeUtf8(this.bytes, this.pos, nul);
    this.pos = nul + 1;
    return text;
  }
}

const decoder = new TextDecoder("utf-8");

/** Names are ASCII in practice: decode those without the TextDecoder's call overhead. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  if (end - start < 64) {
    let ascii = "";
    for (let i = start; i < end; i++) {
      const c = bytes[i] as number;
      if (c >= 0x80) return decoder.decode(bytes.subarray(start, end));
      ascii += String.fromCharCode(c);
    }
    return ascii;
  }
  return decoder.decode(bytes.subarray(start, end));
}
