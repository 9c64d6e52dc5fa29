// SPDX-License-Identifier: GPL-2.0-only
// Linux 6.12 (CONFIG_X86_KERNEL_IBT) runs objtool on vmlinux.o and module links, not on each
// object. A unit shaped like that (the fixture: jmp at static branches, an objtool annotation,
// an objtool table, gcc's 16-byte padding and ENDBR64): objtool's jump-label NOPs are applied
// the way objtool would, and the patch carries objtool's inputs, not its outputs, nor gcc's
// __patchable_function_entries; for a per-object objtool kernel (6.1) the tables stay as before.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { readElf, type Section, writeElf } from "../../../src/elf/index.ts";
import { applyJumpLabelNops, jumpLabelSites } from "../../../src/kernel/jump-labels.ts";
import { extractPatchObject, type ReferencePolicy } from "../../../src/klp/extract.ts";
import { sectionTableFor } from "../../../src/klp/section-table.ts";
import { compiledFixture } from "../../helpers/kernel-object.ts";

const { objPath } = compiledFixture(
  new URL("./fixtures/objtool-sections.c", import.meta.url).pathname,
  "hotpatch-klp-objtool-",
  ["-fcf-protection=branch", "-fpatchable-function-entry=16,16"],
);

const policy: ReferencePolicy = {
  copy: (sym) => sym.type === 3,
  resolve: (sym) => ({ kind: "export", name: sym.name }),
};

const NOP2 = [0x66, 0x90];

test("jump labels: a flag-2 site becomes objtool's NOP, a plain jump stays, twice changes nothing", () => {
  const obj = readElf(readFileSync(objPath));
  const sites = jumpLabelSites(obj);
  assert.equal(sites.length, 3, "two in changed(), one in other()");
  const bytesAt = (s: (typeof sites)[number]) => [...s.section.data.subarray(s.offset, s.offset + 2)];
  assert.ok(
    sites.every((s) => s.section.data[s.offset] === 0xeb),
    "compiled as jmp rel8",
  );
  assert.equal(applyJumpLabelNops(obj), 2);
  for (const site of sites) {
    if (site.nop) assert.deepEqual(bytesAt(site), NOP2);
    else assert.equal(site.section.data[site.offset], 0xeb, "arch_static_branch_jump keeps its jmp");
  }
  assert.equal(applyJumpLabelNops(obj), 0, "an object objtool has processed is left alone");
});

function extract(delayedObjtool: boolean) {
  const result = extractPatchObject({
    object: readElf(readFileSync(objPath)),
    functions: ["changed"],
    exported: [],
    policy,
    sections: sectionTableFor({ delayedObjtool }),
  });
  return readElf(writeElf(result.object));
}

test("objtool at the module link (6.12): annotations carried, objtool's output and gcc's padding table not", () => {
  const obj = extract(true);
  const reachable = obj.sectionByName(".discard.reachable") as Section;
  assert.ok(reachable, "objtool's annotation goes with the patch");
  assert.equal(reachable.data.length, 4, "only changed()'s entry");
  assert.equal(obj.relocationsFor(reachable)[0]?.symbol.definedIn?.name, ".text.changed");
  assert.equal(obj.sectionByName(".return_sites"), undefined, "objtool writes it again at the link");
  assert.equal(obj.sectionByName("__patchable_function_entries"), undefined);
  const jumps = obj.sectionByName("__jump_table") as Section;
  assert.equal(jumps.data.length, 32, "changed()'s two entries");
  const text = obj.sectionByName(".text.changed") as Section;
  const [nopped] = jumpLabelSites(obj).filter((s) => s.nop);
  assert.deepEqual([...text.data.subarray(nopped?.offset, (nopped?.offset ?? 0) + 2)], NOP2);
});

test("objtool on every object (6.1): its tables are carried, its annotations are not", () => {
  const obj = extract(false);
  assert.equal((obj.sectionByName(".return_sites") as Section).data.length, 4);
  assert.equal(obj.sectionByName(".discard.reachable"), undefined);
});
