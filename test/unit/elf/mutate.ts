// SPDX-License-Identifier: GPL-2.0-only
// The fuzzing engine shared by the bounded unit test and scripts/fuzz-elf.ts: seeded random
// truncations and mutations of real objects, aimed at the structures the reader trusts least
// (ELF header, section headers, symbol table, relocations), and the property every case must
// have: readElf either returns a model (which dumps, writes, and reads back) or throws ElfError.
import { dumpElf } from "../../../src/elf/dump.ts";
import { ElfError, readElf, writeElf } from "../../../src/elf/index.ts";

/** xorshift32: small, fast, reproducible from a seed. */
export function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x100000000;
  };
}

const interesting = [
  0, 1, 2, 3, 0x7f, 0x80, 0xff, 0xffff, 0xff00, 0xff20, 0xfff1, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
];

/** Ranges worth hitting: the ELF header, the section header table, and symtab/rela contents. */
function targets(bytes: Uint8Array): Array<[number, number]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ranges: Array<[number, number]> = [[0, 64]];
  const shoff = Number(view.getBigUint64(40, true));
  const shnum = view.getUint16(60, true);
  if (shoff > 0 && shoff + shnum * 64 <= bytes.length) {
    ranges.push([shoff, shoff + shnum * 64]);
    for (let i = 0; i < shnum; i++) {
      const at = shoff + i * 64;
      const type = view.getUint32(at + 4, true);
      if (type === 2 || type === 4 || type === 17 || type === 3) {
        const off = Number(view.getBigUint64(at + 24, true));
        const size = Number(view.getBigUint64(at + 32, true));
        if (size > 0 && off + size <= bytes.length) ranges.push([off, off + size]);
      }
    }
  }
  ranges.push([0, bytes.length]);
  return ranges;
}

/** One mutated copy of `original`. */
export function mutate(original: Uint8Array, rand: () => number): Uint8Array {
  if (rand() < 0.2) return original.slice(0, Math.floor(rand() * original.length));
  const bytes = new Uint8Array(original); // a copy (Buffer.slice would be a view)
  const view = new DataView(bytes.buffer);
  const ranges = targets(original);
  const edits = 1 + Math.floor(rand() * 4);
  for (let e = 0; e < edits; e++) {
    const [start, end] = ranges[Math.floor(rand() * ranges.length)] as [number, number];
    const at = start + Math.floor(rand() * Math.max(1, end - start));
    const roll = rand();
    if (roll < 0.4 && at + 4 <= bytes.length) {
      const value =
        rand() < 0.3 ? bytes.length : (interesting[Math.floor(rand() * interesting.length)] as number);
      view.setUint32(at & ~3, value, true);
    } else if (roll < 0.8 && at < bytes.length) {
      bytes[at] = Math.floor(rand() * 256);
    } else if (at < bytes.length) {
      bytes[at] = (bytes[at] ?? 0) ^ (1 << Math.floor(rand() * 8));
    }
  }
  return bytes;
}

export type Outcome = "parsed" | "rejected";

/** Runs one case; anything other than a model or an ElfError is thrown to the caller. */
export function runCase(bytes: Uint8Array): Outcome {
  let obj: ReturnType<typeof readElf>;
  try {
    obj = readElf(bytes);
  } catch (error) {
    if (error instanceof ElfError) return "rejected";
    throw error;
  }
  dumpElf(obj);
  // What parsed must write and read back (an edit-free write keeps or relays the layout).
  let out: Uint8Array;
  try {
    out = writeElf(obj);
  } catch (error) {
    if (error instanceof ElfError) return "rejected";
    throw error;
  }
  readElf(out);
  return "parsed";
}
