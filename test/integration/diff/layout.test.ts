// SPDX-License-Identifier: GPL-2.0-only
// The layout stage on real units of the reference target: crafted fixes to real files of the
// 6.1.176 tree (./fixes, and two of ../build/fixes), each unit compiled pristine and fixed by
// the build front end with the kernel's own recipe (-g: DWARF 5), then diffed. Each fix is one
// class of issue 9 that the object code alone could not prove (a layout behind a typedef, a
// bit number in an anonymous enum, a widened typedef, a new parameter in a header prototype)
// or a spelling that keeps every layout.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { readFixes } from "../../../src/build/fixes.ts";
import { prepareUnits } from "../../../src/build/inputs.ts";
import { type DiffOptions, type DiffResult, diffObjects } from "../../../src/diff/index.ts";
import { readElf } from "../../../src/elf/index.ts";
import { ensureTarget } from "../../helpers/target.ts";

const fixes = fileURLToPath(new URL("./fixes", import.meta.url));
const buildFixes = fileURLToPath(new URL("../build/fixes", import.meta.url));

/** Every unit the fix rebuilds, diffed (with `options`), by object path. */
async function diffFix(fix: string, options: DiffOptions = {}): Promise<Map<string, DiffResult>> {
  const inputs = await prepareUnits(await ensureTarget(), readFixes([fix]));
  try {
    assert.deepEqual(inputs.refusals, []);
    const results = new Map<string, DiffResult>();
    for (const unit of inputs.units) {
      const orig = readElf(readFileSync(unit.pristineObject));
      const patched = readElf(readFileSync(unit.patchedObject));
      results.set(
        unit.object,
        diffObjects(orig, patched, {
          ...options,
          objectKind: unit.klpObject === "vmlinux" ? "vmlinux" : "module",
        }),
      );
    }
    return results;
  } finally {
    inputs.cleanup();
  }
}

function unit(results: Map<string, DiffResult>, object: string): DiffResult {
  const r = results.get(object);
  assert.ok(r, `${object} in ${[...results.keys()].join(", ")}`);
  return r;
}

function refusedFor(r: DiffResult, name: string, kind = "unsafe-data") {
  const found = r.refused.find((x) => x.name === name && x.kind === kind);
  assert.ok(found, `a ${kind} refusal for ${name} in ${JSON.stringify(r.refused.map((x) => x.name))}`);
  return found;
}

test("binfmt_misc: a field added to `typedef struct {...} Node` is refused with every moved member", async () => {
  const r = unit(await diffFix(join(fixes, "binfmt-node-field.patch")), "fs/binfmt_misc.o");
  assert.equal(r.verdict, "refused");
  const change = r.layoutChanges.find((c) => c.name === "typedef Node");
  assert.deepEqual(change?.size, { old: 88, new: 96 });
  assert.deepEqual(
    change?.members?.slice(0, 3).map((m) => [m.member, m.old?.offset, m.new?.offset]),
    [
      ["hotpatch_generation", undefined, 24],
      ["offset", 24, 28],
      ["size", 28, 32],
    ],
  );
  assert.match(
    refusedFor(r, "typedef Node").reason,
    /size 88 -> 96; member hotpatch_generation added at offset 24/,
  );
});

test("binfmt_misc: a bit number inserted in `enum {Enabled, Magic}` (bits of e->flags) is refused", async () => {
  const r = unit(await diffFix(join(fixes, "binfmt-enum-bit-inserted.patch")), "fs/binfmt_misc.o");
  assert.equal(r.verdict, "refused");
  const change = r.layoutChanges.find((c) => c.subject === "enum");
  assert.equal(change?.name, "enum {Enabled, ...}");
  assert.deepEqual(change?.constants, [{ name: "Magic", old: "1", new: "2" }]);
  refusedFor(r, "enum {Enabled, ...}");
});

test("same layout, other spelling: a member renamed everywhere (binfmt_misc), `unsigned` respelled `unsigned int` (audit_tree)", async () => {
  const renamed = unit(await diffFix(join(fixes, "binfmt-member-renamed.patch")), "fs/binfmt_misc.o");
  const respelled = unit(
    await diffFix(join(buildFixes, "audit-tree-type-respelled.patch")),
    "kernel/audit_tree.o",
  );
  for (const r of [renamed, respelled]) {
    assert.deepEqual(r.layoutChanges, []);
    assert.equal(r.verdict, "no-change", JSON.stringify(r.refused));
    assert.ok((r.stats.debugInfo?.types ?? 0) > 500, "the unit's types were compared");
  }
});

test("landlock: access_mask_t widened u16 -> u32 (as upstream in 6.7) is refused in every unit that holds it", async () => {
  const results = await diffFix(join(fixes, "landlock-access-mask-u32.patch"));
  for (const object of ["cred", "fs", "ptrace", "ruleset", "syscalls"]) {
    const r = unit(results, `security/landlock/${object}.o`);
    assert.equal(r.verdict, "refused", object);
    assert.match(refusedFor(r, "typedef access_mask_t").reason, /u16 \(2 bytes\) -> u32 \(4 bytes\)/);
  }
  const ruleset = unit(results, "security/landlock/ruleset.o");
  assert.match(
    refusedFor(ruleset, "struct landlock_layer").reason,
    /size 4 -> 8; member access: offset 2 -> 4, size 2 -> 4/,
  );
  // The prototype is spelled the same, but its third parameter is now 4 bytes wide.
  assert.match(
    refusedFor(ruleset, "landlock_insert_rule", "changed-interface").reason,
    /parameter 3 const access_mask_t \(2 bytes\) -> 4 bytes/,
  );
  assert.equal(unit(results, "security/landlock/setup.o").verdict, "no-change");
});

test("landlock: a parameter added to a header prototype is a changed interface, a note when every caller is rebuilt", async () => {
  const fix = join(fixes, "landlock-append-rule-parameter.patch");
  const refused = await diffFix(fix);
  for (const object of ["fs", "syscalls"]) {
    const r = unit(refused, `security/landlock/${object}.o`);
    assert.equal(r.verdict, "refused", object);
    assert.match(
      refusedFor(r, "landlock_append_fs_rule", "changed-interface").reason,
      /new parameter 4 \(bool\).*callers outside this patch/,
    );
  }
  // Its callers (syscalls.c) are all in this build, and neither unit takes its address or exports it.
  const told = await diffFix(fix, { interfaceCallersPatched: new Set(["landlock_append_fs_rule"]) });
  const syscalls = unit(told, "security/landlock/syscalls.o");
  assert.equal(syscalls.verdict, "patchable");
  assert.ok(syscalls.notes.some((n) => /landlock_append_fs_rule.*every caller is rebuilt/.test(n)));
  assert.ok(!syscalls.functionUses.patched.addressTaken.includes("landlock_append_fs_rule"));
  assert.equal(unit(told, "security/landlock/fs.o").refused.length, 0);
});

test("nf_queue.h: a member inserted in struct nf_queue_entry is refused in every unit whose code uses it", async () => {
  const results = await diffFix(join(buildFixes, "nf_queue-entry-bridge-dev-layout.patch"));
  const r = unit(results, "net/netfilter/nf_queue.o");
  assert.match(
    refusedFor(r, "struct nf_queue_entry").reason,
    /size 112 -> 120; member bridge_dev added at offset 40 \(8 bytes\); member physin: offset 40 -> 48/,
  );
  for (const [object, result] of results)
    if (result.verdict !== "no-change")
      assert.ok(
        result.refused.some((x) => x.name === "struct nf_queue_entry"),
        object,
      );
});

test("dcache: a counter added to struct dentry_stat_t: the struct refused, the variable refused once", async () => {
  const r = unit(await diffFix(join(buildFixes, "dentry-stat-layout.patch")), "fs/dcache.o");
  assert.match(refusedFor(r, "struct dentry_stat_t").reason, /member nr_hotpatched added at offset 48/);
  assert.equal(r.refused.filter((x) => x.name === "dentry_stat").length, 1);
  assert.ok(r.layoutChanges.some((c) => c.subject === "variable" && c.name === "dentry_stat"));
});
