// SPDX-License-Identifier: GPL-2.0-only
// The fuzzing engine shared by the bounded unit test and scripts/fuzz-elf.ts: seeded random
// truncations and mutations of real objects, aimed at the structures the reader trusts least
// (ELF header, section headers, symbol table, relocations, and the debug sections for the
// DWARF reader), and the property every case must have: readElf either returns a model (which
// dumps, writes, and reads back) or throws ElfError; readDwarf and the layout comparison
// either finish or throw ElfError.
import { diffObjects } from "../../../src/diff/index.ts";
import { dumpElf } from "../../../src/elf/dump.ts";
import {
  arrayDimensions,
  byteSize,
  type Die,
  DW_TAG,
  memberBitOffset,
  readDwarf,
  typeText,
} from "../../../src/elf/dwarf/index.ts";
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

/** The debug sections the DWARF reader uses, with their relocations. */
const debugSections = /^(\.rela)?\.debug_(info|abbrev|str|line_str|str_offsets|addr|types)$/;

/**
 * One copy of `original` (which has debug information) with its debug sections damaged:
 * bytes and words changed inside them, or a section's size cut short in its header.
 */
export function mutateDebug(original: Uint8Array, rand: () => number): Uint8Array {
  const obj = readElf(original);
  const targets = obj.sections.filter((s) => debugSections.test(s.name) && s.size > 0);
  const bytes = new Uint8Array(original);
  const view = new DataView(bytes.buffer);
  const shoff = Number(view.getBigUint64(40, true));
  const edits = 1 + Math.floor(rand() * 3);
  for (let e = 0; e < edits && targets.length > 0; e++) {
    const section = targets[Math.floor(rand() * targets.length)] as (typeof targets)[number];
    const roll = rand();
    if (roll < 0.15) {
      view.setBigUint64(shoff + section.index * 64 + 32, BigInt(Math.floor(rand() * section.size)), true);
      continue;
    }
    const at = section.offset + Math.floor(rand() * section.size);
    if (roll < 0.5 && at + 4 <= section.offset + section.size) {
      const value = interesting[Math.floor(rand() * interesting.length)] as number;
      view.setUint32(at, rand() < 0.5 ? value : (view.getUint32(at, true) + 1) >>> 0, true);
    } else if (roll < 0.8) bytes[at] = Math.floor(rand() * 256);
    else bytes[at] = (bytes[at] ?? 0) ^ (1 << Math.floor(rand() * 8));
  }
  return bytes;
}

/**
 * One DWARF case: the damaged object must be rejected with an ElfError, or its debug
 * information read, every type DIE spelled and sized, and the layout comparison against the
 * undamaged object finish; anything else is thrown to the caller.
 */
export function runDwarfCase(original: Uint8Array, bytes: Uint8Array): Outcome {
  try {
    const obj = readElf(bytes);
    const dwarf = readDwarf(obj);
    for (const unit of dwarf?.units ?? []) if (unit.root) touchTypes(unit.root);
    diffObjects(readElf(original), obj);
    return "parsed";
  } catch (error) {
    if (error instanceof ElfError) return "rejected";
    throw error;
  }
}

/** Every helper that follows type references, on every DIE below `root`. */
function touchTypes(root: Die): void {
  const stack = [root];
  for (let die = stack.pop(); die !== undefined; die = stack.pop()) {
    typeText(die.type);
    byteSize(die);
    if (die.tag === DW_TAG.member) memberBitOffset(die);
    if (die.tag === DW_TAG.array_type) arrayDimensions(die);
    stack.push(...die.children);
  }
}
