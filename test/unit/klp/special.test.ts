// SPDX-License-Identifier: GPL-2.0-only
// Special sections keep exactly the entries of the included functions, rebased, with their
// relocations; alternatives keep only the relocations of the replacements they use.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { readElf, type Section, writeElf } from "../../../src/elf/index.ts";
import { extractPatchObject, type ReferencePolicy } from "../../../src/klp/extract.ts";
import { compiledFixture } from "../../helpers/kernel-object.ts";

const { objPath } = compiledFixture(
  new URL("./fixtures/special.c", import.meta.url).pathname,
  "hotpatch-klp-special-",
);

const policy: ReferencePolicy = {
  copy: (sym) => sym.type === 3,
  resolve: (sym) => ({ kind: "export", name: sym.name }),
};

test("only the included function's bug table and alternative entries remain, rebased", () => {
  const result = extractPatchObject({
    object: readElf(readFileSync(objPath)),
    functions: ["changed"],
    exported: [],
    policy,
  });
  const obj = readElf(writeElf(result.object));
  const bug = obj.sectionByName("__bug_table") as Section;
  assert.equal(bug.data.length, 12, "one 12-byte entry");
  assert.equal(Buffer.from(bug.data).readUInt16LE(8), 11, "it is changed()'s entry (line 11)");
  const bugRelocs = obj.relocationsFor(bug);
  assert.deepEqual(
    bugRelocs.map((r) => r.offset),
    [0],
  );
  assert.equal(bugRelocs[0]?.symbol.definedIn?.name, ".text.changed");
  const alt = obj.sectionByName(".altinstructions") as Section;
  assert.equal(alt.data.length, 12);
  const repl = obj.sectionByName(".altinstr_replacement") as Section;
  const replRelocs = obj.relocationsFor(repl);
  assert.equal(replRelocs.length, 1, "only the used replacement's call is relocated");
  assert.equal(replRelocs[0]?.symbol.name, "replacement_target");
  assert.ok(!obj.sectionByName(".text.other"));
});

const sixTwelve = compiledFixture(
  new URL("./fixtures/special.c", import.meta.url).pathname,
  "hotpatch-klp-special-612-",
  ["-DALT_INSTR_6_12"],
);

test("6.12's 14-byte alternatives: the size is read from the object, the replacement still found", () => {
  const result = extractPatchObject({
    object: readElf(readFileSync(sixTwelve.objPath)),
    functions: ["changed"],
    exported: [],
    policy,
  });
  const obj = readElf(writeElf(result.object));
  const alt = obj.sectionByName(".altinstructions") as Section;
  assert.equal(alt.data.length, 14, "one whole 14-byte entry, not 12 bytes cut from two");
  assert.deepEqual(
    obj.relocationsFor(alt).map((r) => r.offset),
    [0, 4],
  );
  assert.equal(alt.data[13], 5, "replacementlen is the entry's last byte");
  const repl = obj.sectionByName(".altinstr_replacement") as Section;
  assert.equal(obj.relocationsFor(repl)[0]?.symbol.name, "replacement_target");
});
