// SPDX-License-Identifier: GPL-2.0-only
// The test-only override of refusals (HOTPATCH_TEST_BUILD_REFUSED): which kinds it accepts,
// what it does to a unit's diff, and the marker it leaves in the module's stub. Its use on the
// real target, in a VM, is test/integration/safety/vm-proof.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { overriddenKinds, overrideRefusals } from "../../../src/build/unsafe-override.ts";
import type { DiffResult, FunctionDiff, Refusal } from "../../../src/diff/index.ts";
import { UserError } from "../../../src/errors/user-error.ts";
import { generateStub } from "../../../src/klp/stub.ts";

function changed(name: string): FunctionDiff {
  return {
    name,
    status: "changed",
    reasons: ["changed by the fix"],
    symbolIndex: 1,
    section: `.text.${name}`,
    children: [],
    hasFentry: true,
    specialEntries: [],
  };
}

function refusedDiff(refused: Refusal[], functions: FunctionDiff[]): DiffResult {
  return {
    verdict: "refused",
    functions,
    references: [],
    staticLocals: [],
    ignored: [],
    refused,
    warnings: [],
    notes: [],
    layoutChanges: [],
    functionUses: { orig: { addressTaken: [], exported: [] }, patched: { addressTaken: [], exported: [] } },
    stats: { origFunctions: 1, patchedFunctions: 1, compared: 1, debugInfo: null },
  };
}

const layout: Refusal = {
  kind: "unsafe-data",
  name: "typedef Node",
  reason: "the layout of typedef Node changed",
};
const noFentry: Refusal = { kind: "no-fentry", name: "helper", reason: "helper has no __fentry__ call" };

test("the switch takes known refusal kinds, comma-separated; unset, it overrides nothing; an unknown kind is bad input", () => {
  assert.deepEqual([...overriddenKinds({})], []);
  assert.deepEqual(
    [...overriddenKinds({ HOTPATCH_TEST_BUILD_REFUSED: " unsafe-data, no-fentry ,," })],
    ["unsafe-data", "no-fentry"],
  );
  assert.throws(
    () => overriddenKinds({ HOTPATCH_TEST_BUILD_REFUSED: "unsafe-data,unsafe" }),
    (e: unknown) =>
      e instanceof UserError && /names unknown refusal kind\(s\) unsafe \(known: /.test(e.message),
  );
});

test("a unit refused only for overridden kinds becomes patchable; one with another refusal stays refused", () => {
  const units = [
    { unit: { source: "fs/binfmt_misc.c" }, diff: refusedDiff([layout], [changed("load_misc_binary")]) },
    { unit: { source: "fs/exec.c" }, diff: refusedDiff([layout, noFentry], [changed("bprm_execve")]) },
    { unit: { source: "fs/open.c" }, diff: refusedDiff([layout], []) },
  ];
  const { diffs, overridden } = overrideRefusals(units, new Set(["unsafe-data"]));
  assert.deepEqual(
    diffs.map((d) => [d.unit.source, d.diff.verdict, d.diff.refused.map((r) => r.kind)]),
    [
      ["fs/binfmt_misc.c", "patchable", []],
      ["fs/exec.c", "refused", ["no-fentry"]],
      ["fs/open.c", "no-change", []],
    ],
  );
  assert.deepEqual(
    overridden.map((o) => `${o.unit}: ${o.name}: ${o.kind}`),
    [
      "fs/binfmt_misc.c: typedef Node: unsafe-data",
      "fs/exec.c: typedef Node: unsafe-data",
      "fs/open.c: typedef Node: unsafe-data",
    ],
  );
  // Without the switch nothing changes.
  assert.equal(overrideRefusals(units, new Set()).diffs, units);
});

test("a module built despite refusals carries hotpatch_unsafe=<kinds> in its modinfo; a normal one does not", () => {
  const plan = { name: "hp_t", replace: true, fixes: [], patchObjects: [], namespaces: [], objects: [] };
  assert.doesNotMatch(generateStub(plan), /hotpatch_unsafe/);
  assert.match(
    generateStub({ ...plan, unsafeKinds: ["unsafe-data", "no-fentry"] }),
    /MODULE_INFO\(hotpatch_unsafe, "unsafe-data,no-fentry"\);/,
  );
  assert.doesNotMatch(generateStub({ ...plan, unsafeKinds: [] }), /hotpatch_unsafe/);
});
