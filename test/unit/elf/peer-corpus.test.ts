// SPDX-License-Identifier: GPL-2.0-only
// The peer corpus (kernel objects from other distributions and compilers, gcc and clang) must
// read, dump and round-trip byte for byte; for every object, hotpatch's view of sections,
// symbols and relocations must equal readelf's; laid out afresh, readelf and ld still accept it.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, it } from "node:test";
import { dumpElf } from "../../../src/elf/dump.ts";
import { readElf, writeElf } from "../../../src/elf/index.ts";
import { assertSameAsReadelf } from "./compare.ts";
import { peerObjects, readelf, tempDir, tool } from "./helpers.ts";

const objects = peerObjects();

describe("elf: peer corpus", { skip: objects.length === 0 ? "peer corpus not present" : false }, () => {
  it("has the 110 objects it documents", () => {
    assert.equal(objects.length, 110);
  });

  it("reads, dumps and round-trips every object byte-identically", () => {
    for (const file of objects) {
      const bytes = readFileSync(file);
      const obj = readElf(bytes);
      const dump = dumpElf(obj);
      assert.equal(dump.sections.length, obj.sections.length, basename(file));
      const out = writeElf(obj);
      assert.ok(Buffer.from(out).equals(bytes), `${basename(file)} differs after read+write`);
    }
  });

  it("sees the same sections, symbols and relocations as readelf", () => {
    for (const file of objects) {
      const obj = readElf(readFileSync(file));
      assertSameAsReadelf(obj, file, basename(file));
    }
  });

  it("lays an object out afresh that readelf reads without warnings and ld -r links", () => {
    const dir = tempDir("elf-peer");
    // A few of different origins: the largest, clang, one with debug info, one with groups.
    const picks = objects.filter((f) =>
      /unique-id-pr-1314.ORIG|clang-unnamed.ORIG|oot-issue-928.NOSTRIP.ORIG|data-read-mostly.ORIG/.test(f),
    );
    assert.equal(picks.length, 4);
    for (const file of picks) {
      const obj = readElf(readFileSync(file));
      obj.source = null; // forces the fresh layout
      const out = join(dir, basename(file));
      writeFileSync(out, writeElf(obj));
      const check = readelf(["-aW", out]);
      assert.equal(check.stderr, readelf(["-aW", file]).stderr, `${basename(file)}: readelf warnings`);
      const strip = (s: string) => s.replace(/at offset 0x[0-9a-f]+/g, "");
      for (const view of ["-sW", "-rW", "-gW"]) {
        assert.equal(
          strip(readelf([view, out]).stdout).replace(out, "F"),
          strip(readelf([view, file]).stdout).replace(file, "F"),
          `${basename(file)} ${view}`,
        );
      }
      const linked = tool("ld", ["-r", "-o", join(dir, "linked.o"), out]);
      assert.equal(linked.status, 0, linked.stderr);
    }
  });
});
