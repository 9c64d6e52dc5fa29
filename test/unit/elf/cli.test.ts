// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch elf dump|rewrite` through the built CLI: readable and JSON output, one-section
// filtering, byte-identical rewrite, and bad input as one sentence with a non-zero exit.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { hotpatch } from "../../helpers/cli.ts";
import { compileFixture, tempDir } from "./helpers.ts";

let dir = "";
let object = "";

interface DumpJson {
  sections: Array<{ name: string; type: string; size: number }>;
  symbols: Array<{ name: string; bind: string; type: string; section: string; value: number; size: number }>;
  relocations: Array<{ section: string; offset: number; type: string; symbol: string; addend: number }>;
}

describe("elf: hotpatch elf", () => {
  before(() => {
    dir = tempDir("elf-cli");
    object = compileFixture("basic", dir);
  });

  it("dumps sections, symbols and relocations as text", async () => {
    const result = await hotpatch(["elf", "dump", object]);
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, /^Section Headers:/);
    assert.match(result.stdout, /\.text\.exported\s+PROGBITS/);
    assert.match(result.stdout, /FUNC\s+GLOBAL\s+DEFAULT\s+\.text\.exported\s+exported/);
    assert.match(result.stdout, /Relocation section '\.rela\.text\.exported' contains \d+ entries/);
    assert.match(result.stdout, /R_X86_64_PLT32\s+__fentry__ - 4/);
    assert.match(result.stdout, /COMDAT group section '\.group' \[grouped_sig\]/);
  });

  it("dumps JSON with the documented fields", async () => {
    const result = await hotpatch(["elf", "dump", "--json", object]);
    assert.equal(result.exitCode, 0, result.stderr);
    const dump = JSON.parse(result.stdout) as DumpJson;
    assert.ok(dump.sections.some((s) => s.name === ".symtab" && s.type === "SYMTAB" && s.size > 0));
    const exported = dump.symbols.find((s) => s.name === "exported");
    // value 2: -fpatchable-function-entry=4,2 puts two NOPs before the entry point.
    assert.deepEqual(
      { bind: exported?.bind, type: exported?.type, section: exported?.section, value: exported?.value },
      { bind: "GLOBAL", type: "FUNC", section: ".text.exported", value: 2 },
    );
    const fentry = dump.relocations.find((r) => r.section === ".text.exported" && r.symbol === "__fentry__");
    assert.deepEqual({ type: fentry?.type, addend: fentry?.addend }, { type: "R_X86_64_PLT32", addend: -4 });
  });

  it("limits the dump to one section", async () => {
    const result = await hotpatch(["elf", "dump", "--json", "--section", ".text.other", object]);
    assert.equal(result.exitCode, 0, result.stderr);
    const dump = JSON.parse(result.stdout) as DumpJson;
    assert.deepEqual(
      dump.sections.map((s) => s.name),
      [".text.other"],
    );
    assert.ok(dump.symbols.every((s) => s.section === ".text.other"));
    assert.ok(dump.symbols.some((s) => s.name === "other"));
    assert.ok(dump.relocations.length > 0 && dump.relocations.every((r) => r.section === ".text.other"));
    const missing = await hotpatch(["elf", "dump", "--section", ".nope", object]);
    assert.equal(missing.exitCode, 1);
    assert.match(missing.stderr, /no section named '\.nope'/);
  });

  it("rewrites an object byte for byte", async () => {
    const out = join(dir, "rewritten.o");
    const result = await hotpatch(["elf", "rewrite", object, out]);
    assert.equal(result.exitCode, 0, result.stderr);
    assert.ok(readFileSync(out).equals(readFileSync(object)));
  });

  it("refuses bad input with one sentence naming the file and offset, no stack trace", async () => {
    const bad = join(dir, "bad.o");
    const bytes = new Uint8Array(readFileSync(object));
    bytes[4] = 1; // ELFCLASS32
    writeFileSync(bad, bytes);
    for (const args of [
      ["elf", "dump", bad],
      ["elf", "rewrite", bad, join(dir, "never.o")],
    ]) {
      const result = await hotpatch(args);
      assert.equal(result.exitCode, 1);
      assert.match(result.stderr, /bad\.o: ELF class 1 is not ELF64 \(at file offset 0x4\)\./);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
    }
    assert.equal(existsSync(join(dir, "never.o")), false);
    const missing = await hotpatch(["elf", "dump", join(dir, "missing.o")]);
    assert.equal(missing.exitCode, 1);
    assert.equal(missing.stderr, `hotpatch: ${join(dir, "missing.o")} does not exist.`);
    const directory = await hotpatch(["elf", "dump", dir]);
    assert.equal(directory.exitCode, 1);
    assert.equal(directory.stderr, `hotpatch: ${dir} is a directory, not an object file.`);
  });
});
