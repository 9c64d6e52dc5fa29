// SPDX-License-Identifier: GPL-2.0-only
// The DWARF reader: the same DIE tree as binutils' readelf on gcc 12 objects (DWARF 5 and 4)
// and on the peer corpus' gcc 4.8 object; types spelled, sized and laid out as the compiler
// did; type units (-fdebug-types-section) read through their signatures; damaged debug
// sections rejected with an ElfError that names the section and the file offset; and a
// bounded fuzz run of the debug sections where every case is read or rejected, nothing else.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { diffObjects } from "../../../src/diff/index.ts";
import {
  arrayDimensions,
  byteSize,
  type Die,
  DW_AT,
  DW_TAG,
  type DwarfInfo,
  memberBitOffset,
  memberBitSize,
  prototypeText,
  readDwarf,
  tagName,
  typeText,
} from "../../../src/elf/dwarf/index.ts";
import { ElfError, type ElfObject, readElf } from "../../../src/elf/index.ts";
import { ourDies, readelfDies, walk, walkUp } from "./dwarf-helpers.ts";
import { compileFixture, peerDir, tempDir } from "./helpers.ts";
import { mutateDebug, random, runDwarfCase } from "./mutate.ts";

const dir = tempDir("elf-dwarf");

/** A directory of its own for each build of the fixture. */
function sub(label: string): string {
  const path = join(dir, label);
  mkdirSync(path, { recursive: true });
  return path;
}
const nostrip = join(peerDir, "oot-issue-928.NOSTRIP.ORIG.o");

function dwarfOf(path: string): { obj: ElfObject; dwarf: DwarfInfo } {
  const obj = readElf(readFileSync(path));
  const dwarf = readDwarf(obj);
  assert.ok(dwarf, `${path} has debug information`);
  return { obj, dwarf };
}

function topLevel(dwarf: DwarfInfo, tag: number, name: string): Die {
  const found = dwarf.compileUnits[0]?.children.find((d) => d.tag === tag && d.name === name);
  assert.ok(found, `${tagName(tag)} ${name}`);
  return found;
}

describe("elf: DWARF reader", () => {
  let dwarf5 = "";
  let dwarf4 = "";
  before(() => {
    dwarf5 = compileFixture("dwarf", sub("5"), ["-g"]);
    dwarf4 = compileFixture("dwarf", sub("4"), ["-gdwarf-4"]);
  });

  for (const [label, file] of [
    ["gcc 12, DWARF 5", () => dwarf5],
    ["gcc 12, DWARF 4", () => dwarf4],
    ["gcc 4.8.5 (peer corpus), DWARF 4", () => nostrip],
  ] as const) {
    it(`reads the DIE tree readelf reads (${label})`, () => {
      const { dwarf } = dwarfOf(file());
      const expected = readelfDies(file());
      assert.ok(expected.length > 80, `${expected.length} DIEs`);
      assert.deepEqual(ourDies(dwarf), expected);
      assert.equal(dwarf.dieCount, expected.length);
    });
  }

  it("spells, sizes and places the types as the compiler laid them out", () => {
    for (const file of [dwarf5, dwarf4]) {
      const { dwarf } = dwarfOf(file);
      const packet = topLevel(dwarf, DW_TAG.structure_type, "packet");
      assert.equal(byteSize(packet), 88);
      const member = (name: string) => {
        const m = packet.children.find((c) => c.name === name);
        assert.ok(m, name);
        return m;
      };
      assert.deepEqual([memberBitOffset(member("kind")), memberBitSize(member("kind"))], [0, 3]);
      assert.deepEqual([memberBitOffset(member("urgent")), memberBitSize(member("urgent"))], [3, 1]);
      assert.equal(memberBitOffset(member("length")), 16);
      assert.equal(memberBitOffset(member("link")), 128);
      assert.deepEqual(arrayDimensions(member("matrix").type as Die), [2, 3]);
      assert.equal(byteSize(member("matrix").type), 24);
      assert.equal(typeText(member("matrix").type), "int[2][3]");
      assert.equal(typeText(member("names").type), "const char *const *");
      assert.equal(typeText(member("handler").type), "int (*)(struct packet *, int, ...)");
      assert.equal(typeText(member("counter").type), "volatile long int");
      assert.deepEqual(arrayDimensions(member("data").type as Die), [undefined]);
      assert.equal(byteSize(member("data").type), undefined);
      const anonymous = packet.children.find((c) => c.tag === DW_TAG.member && c.name === undefined);
      assert.equal(typeText(anonymous?.type), "union {...}");
      const header = topLevel(dwarf, DW_TAG.structure_type, "header");
      assert.equal(byteSize(header), 5);
      assert.equal(memberBitOffset(header.children[1] as Die), 8);
      const flags = topLevel(dwarf, DW_TAG.subprogram, "packet_flags");
      assert.equal(
        prototypeText(flags, "packet_flags"),
        "int packet_flags(struct packet *p, int flags, ...)",
      );
      const values = topLevel(dwarf, DW_TAG.enumeration_type, "big").children.map((e) =>
        e.constant(DW_AT.const_value),
      );
      assert.deepEqual(values, [-5, 7, 0x7fffffffffffffffn]);
      assert.equal(typeText(topLevel(dwarf, DW_TAG.variable, "headers").type), "struct header[4]");
      assert.equal(typeText(topLevel(dwarf, DW_TAG.variable, "banner").type), "const char[6]");
      assert.equal(
        typeText(topLevel(dwarf, DW_TAG.variable, "dispatch").type),
        "int (*const[2])(struct packet *, int, ...)",
      );
    }
  });

  for (const version of ["-gdwarf-4", "-gdwarf-5"]) {
    it(`reads type units (${version} -fdebug-types-section): the same catalogue as a plain build`, () => {
      const plain = readElf(readFileSync(dwarf5));
      const split = readElf(
        readFileSync(compileFixture("dwarf", sub(`tu${version}`), [version, "-fdebug-types-section"])),
      );
      const { dwarf } = { dwarf: readDwarf(split) as DwarfInfo };
      assert.ok(dwarf.typeUnits.length > 3, "gcc moved the structs to type units");
      const r = diffObjects(plain, split);
      assert.deepEqual(r.layoutChanges, []);
      assert.ok((r.stats.debugInfo?.types ?? 0) >= 6, JSON.stringify(r.stats.debugInfo));
    });
  }

  it("skipping function bodies keeps every type, declaration and parameter, as read in full", () => {
    for (const file of [dwarf5, dwarf4, nostrip]) {
      const obj = readElf(readFileSync(file));
      const full = readDwarf(obj) as DwarfInfo;
      const lean = readDwarf(obj, { skipFunctionBodies: true }) as DwarfInfo;
      assert.ok(lean.dieCount < full.dieCount, `${lean.dieCount} < ${full.dieCount}`);
      const kept = ourDies(lean);
      const all = new Set(ourDies(full));
      for (const line of kept) assert.ok(all.has(line), line);
      const cu = full.compileUnits[0] as Die;
      const inBody = (d: Die) =>
        d.parent?.tag === DW_TAG.subprogram &&
        d.tag !== DW_TAG.formal_parameter &&
        d.tag !== DW_TAG.unspecified_parameters;
      for (const [die, depth] of walk(cu)) {
        if (inBody(die)) continue;
        if ([...walkUp(die)].some(inBody)) continue;
        assert.ok(
          kept.includes(
            `${depth} ${die.offset} ${tagName(die.tag)}${die.name !== undefined ? ` ${die.name}` : ""}`,
          ),
        );
      }
    }
  });

  it("an object without debug information has none", () => {
    assert.equal(readDwarf(readElf(readFileSync(compileFixture("dwarf", sub("none"), ["-g0"])))), null);
  });
});

describe("elf: damaged DWARF", () => {
  let original = new Uint8Array(0);
  let obj: ElfObject;
  let shoff = 0;
  before(() => {
    original = new Uint8Array(readFileSync(compileFixture("dwarf", sub("bad"), ["-g"])));
    obj = readElf(original);
    shoff = Number(new DataView(original.buffer, original.byteOffset).getBigUint64(40, true));
  });

  const section = (name: string) => {
    const s = obj.sectionByName(name);
    assert.ok(s, name);
    return s;
  };

  function damaged(edit: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
    const bytes = new Uint8Array(original);
    edit(new DataView(bytes.buffer), bytes);
    return bytes;
  }

  function rejects(bytes: Uint8Array, pattern: RegExp, offset?: number): void {
    assert.throws(
      () => readDwarf(readElf(bytes)),
      (error: unknown) => {
        assert.ok(error instanceof ElfError, `not an ElfError: ${String(error)}`);
        assert.match(error.message, pattern);
        assert.ok(error.offset !== undefined && error.offset < bytes.length, "a file offset inside the file");
        if (offset !== undefined) assert.equal(error.offset, offset);
        return true;
      },
    );
  }

  it("a unit longer than its section, truncated or not", () => {
    const info = section(".debug_info");
    rejects(
      damaged((v) => v.setUint32(info.offset, info.size + 100, true)),
      /\.debug_info: unit at 0x0 \(\d+ bytes\) runs past the end of the section/,
      info.offset,
    );
    rejects(
      damaged((v) => v.setBigUint64(shoff + info.index * 64 + 32, BigInt(info.size >> 1), true)),
      /runs past the end of the section|a relocation of '\.debug_info' at 0x[0-9a-f]+ lies past its end/,
    );
  });

  it("an unknown DWARF version, abbreviation or form", () => {
    const info = section(".debug_info");
    rejects(
      damaged((v) => v.setUint16(info.offset + 4, 9, true)),
      /DWARF version 9 \(2 to 5 are read\)/,
      info.offset,
    );
    // The first DIE's abbreviation code follows the 12-byte DWARF 5 unit header.
    assert.ok((original[info.offset + 12] as number) < 0x80);
    rejects(
      damaged((_, b) => (b[info.offset + 12] = 0x7f)),
      /DIE uses abbreviation 127, which its table does not define/,
      info.offset + 12,
    );
    // The first abbreviation: code, tag, children flag, then its first (name, form) pair.
    const abbrev = section(".debug_abbrev");
    assert.ok(original.subarray(abbrev.offset, abbrev.offset + 5).every((b) => b < 0x80));
    rejects(
      damaged((_, b) => (b[abbrev.offset + 4] = 0x7e)),
      /\.debug_abbrev: abbreviation 1 uses unknown form DW_FORM_0x7e/,
      abbrev.offset + 4,
    );
  });

  it("relocations of a type no debug section uses, or to a string past the end of .debug_str", () => {
    const rela = section(".rela.debug_info");
    rejects(
      damaged((v) => v.setUint32(rela.offset + 8, 2, true)),
      /relocation type 2 in '\.rela\.debug_info' is not one a debug section uses/,
      rela.offset,
    );
    const str = section(".debug_str");
    const index = (rela.relocations ?? []).findIndex((r) => r.symbol.definedIn === str);
    assert.ok(index >= 0);
    rejects(
      damaged((v) => v.setBigInt64(rela.offset + index * 24 + 16, 0x7fffffffn, true)),
      /names string offset 0x7fffffff, past the end of \.debug_str/,
    );
  });

  it("survives a bounded fuzz run of the debug sections: every case is read or rejected with ElfError", () => {
    const dwarf4 = readFileSync(compileFixture("dwarf", sub("fuzz4"), ["-gdwarf-4"]));
    const inputs = [original, new Uint8Array(dwarf4), new Uint8Array(readFileSync(nostrip))];
    const rand = random(20261205);
    const counts = { parsed: 0, rejected: 0 };
    for (let i = 0; i < 300; i++) {
      const input = inputs[i % inputs.length] as Uint8Array;
      try {
        counts[runDwarfCase(input, mutateDebug(input, rand))]++;
      } catch (error) {
        assert.fail(`case ${i}: ${error instanceof Error ? error.stack : String(error)}`);
      }
    }
    // Both outcomes must occur, or the mutations are not reaching the reader's checks.
    assert.ok(counts.rejected > 40, JSON.stringify(counts));
    assert.ok(counts.parsed > 40, JSON.stringify(counts));
  });
});
