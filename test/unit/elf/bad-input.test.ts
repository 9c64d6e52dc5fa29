// SPDX-License-Identifier: GPL-2.0-only
// Malformed objects: each kind of damage ends in an ElfError that says what is wrong and
// where (file offset), and a bounded fuzz run (random truncations and mutations of real
// objects) where every case either parses or is rejected with an ElfError, nothing else.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, it } from "node:test";
import {
  createElfObject,
  ElfError,
  ElfSymbol,
  readElf,
  renumber,
  STB,
  writeElf,
} from "../../../src/elf/index.ts";
import { compileFixture, peerObjects, tempDir } from "./helpers.ts";
import { mutate, random, runCase } from "./mutate.ts";

let original = new Uint8Array(0);
let shoff = 0;

function damaged(edit: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const bytes = new Uint8Array(original); // a copy (Buffer.slice would be a view)
  edit(new DataView(bytes.buffer), bytes);
  return bytes;
}

/** Offset of section `index`'s header field at `field`. */
function shdr(index: number, field: number): number {
  return shoff + index * 64 + field;
}

function sectionIndex(name: string): number {
  const found = readElf(original).sectionByName(name);
  assert.ok(found, name);
  return found.index;
}

function rejects(bytes: Uint8Array, pattern: RegExp, offset?: number): void {
  assert.throws(
    () => readElf(bytes),
    (error: unknown) => {
      assert.ok(error instanceof ElfError, `not an ElfError: ${String(error)}`);
      assert.match(error.message, pattern);
      if (offset !== undefined) assert.equal(error.offset, offset);
      return true;
    },
  );
}

describe("elf: bad input", () => {
  before(() => {
    original = new Uint8Array(readFileSync(compileFixture("basic", tempDir("elf-bad"))));
    shoff = Number(new DataView(original.buffer, original.byteOffset).getBigUint64(40, true));
  });

  it("rejects truncated files", () => {
    rejects(original.slice(0, 10), /too short for an ELF header/, 0);
    rejects(original.slice(0, original.length - 1), /section header table .* past the end/, 40);
    rejects(new Uint8Array(0), /too short/);
  });

  it("rejects the wrong magic, class, endianness, machine and type", () => {
    rejects(
      damaged((_, b) => (b[1] = 0x46)),
      /not an ELF file/,
      0,
    );
    rejects(
      damaged((_, b) => (b[4] = 1)),
      /not ELF64/,
      4,
    );
    rejects(
      damaged((_, b) => (b[5] = 2)),
      /not little-endian/,
      5,
    );
    rejects(
      damaged((v) => v.setUint16(18, 183, true)),
      /machine 183 is not x86_64/,
      18,
    );
    rejects(
      damaged((v) => v.setUint16(16, 2, true)),
      /not ET_REL/,
      16,
    );
  });

  it("rejects offsets and sizes past the end of the file", () => {
    const text = sectionIndex(".text.exported");
    rejects(
      damaged((v) => v.setBigUint64(shdr(text, 24), BigInt(original.length), true)),
      /runs past the end of the file/,
      shdr(text, 24),
    );
    rejects(
      damaged((v) => v.setBigUint64(shdr(text, 32), 1n << 60n, true)),
      /too large/,
      shdr(text, 32),
    );
    rejects(
      damaged((v) => v.setUint16(60, 60000, true)),
      /runs past the end of the file/,
      40,
    );
  });

  it("rejects a name index outside its string table", () => {
    const text = sectionIndex(".text.exported");
    rejects(
      damaged((v) => v.setUint32(shdr(text, 0), 0xfffff, true)),
      /name index 1048575, past the end of string table/,
      shdr(text, 0),
    );
    const symtab = readElf(original).symtab;
    assert.ok(symtab);
    rejects(
      damaged((v) => v.setUint32(symtab.offset + 24 * 3, 0xfffff, true)),
      /symbol 3 has name index/,
      symtab.offset + 24 * 3,
    );
  });

  it("rejects symbols and relocations that point at nothing", () => {
    const symtab = readElf(original).symtab;
    assert.ok(symtab);
    const symAt = symtab.offset + 24 * 3;
    rejects(
      damaged((v) => v.setUint16(symAt + 6, 900, true)),
      /names section 900, which does not exist/,
      symAt + 6,
    );
    const rela = readElf(original).sectionByName(".rela.text.exported");
    assert.ok(rela);
    rejects(
      damaged((v) => v.setUint32(rela.offset + 12, 99999, true)),
      /names symbol 99999, which does not exist/,
      rela.offset + 12,
    );
    rejects(
      damaged((v) => v.setUint32(shdr(rela.index, 44), 4000, true)),
      /applies to section 4000, which does not exist/,
      shdr(rela.index, 44),
    );
  });

  it("rejects overlapping sections and self-referencing relocation sections", () => {
    const a = readElf(original).sectionByName(".text.other");
    const b = sectionIndex(".text.exported");
    assert.ok(a);
    rejects(
      damaged((v) => v.setBigUint64(shdr(b, 24), BigInt(a.offset), true)),
      /overlaps/,
    );
    const rela = sectionIndex(".rela.text.exported");
    rejects(
      damaged((v) => v.setUint32(shdr(rela, 44), rela, true)),
      /applies to a relocation section/,
      shdr(rela, 44),
    );
    rejects(
      damaged((v) => v.setUint32(shdr(rela, 40), rela, true)),
      /does not link to the symbol table/,
      shdr(rela, 40),
    );
  });

  it("rejects string tables whose names overlap without bound (memory quadratic in the file)", () => {
    const obj = createElfObject();
    obj.symbols.push(new ElfSymbol({ name: "A".repeat(200_000), bind: STB.GLOBAL }));
    for (let i = 0; i < 20_000; i++) obj.symbols.push(new ElfSymbol({ name: "x", bind: STB.GLOBAL }));
    renumber(obj);
    const bytes = writeElf(obj);
    const symtab = readElf(bytes).symtab;
    assert.ok(symtab);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Every symbol's name starts at a different place inside the one 200 kB name.
    for (let i = 2; i < obj.symbols.length; i++) view.setUint32(symtab.offset + i * 24, 1 + i * 9, true);
    rejects(bytes, /names in string table '.strtab' overlap far more/);
  });

  it("survives a bounded fuzz run: every case parses or throws ElfError", () => {
    const inputs = [
      original,
      ...peerObjects()
        .slice(0, 6)
        .map((f) => readFileSync(f)),
    ];
    const rand = random(20261125);
    const counts = { parsed: 0, rejected: 0 };
    for (let i = 0; i < 400; i++) {
      const input = inputs[i % inputs.length] as Uint8Array;
      const bytes = mutate(input, rand);
      try {
        counts[runCase(bytes)]++;
      } catch (error) {
        assert.fail(`case ${i}: ${error instanceof Error ? error.stack : String(error)}`);
      }
    }
    // Both outcomes must occur, or the mutations are not reaching the reader's checks.
    assert.ok(counts.rejected > 50, JSON.stringify(counts));
    assert.ok(counts.parsed > 20, JSON.stringify(counts));
  });
});
