// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch demo` end to end on the default target: the bundled fix is built, its check fails
// on the unfixed kernel and passes while the livepatch is active.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { hotpatch } from "../../helpers/cli.ts";
import { ensureTarget } from "../../helpers/target.ts";

before(async () => {
  await ensureTarget();
});

test("hotpatch demo builds the bundled af_unix fix and proves it in a VM", async () => {
  const r = await hotpatch(["demo", "--json"]);
  assert.equal(r.exitCode, 0, r.stderr);
  const report = JSON.parse(r.stdout) as {
    build: { functions: Array<{ name: string }> };
    unfixed: { exitCode: number };
    verify: { ok: boolean; checkOutput: string };
  };
  assert.deepEqual(
    report.build.functions.map((f) => f.name),
    ["unix_ioctl"],
  );
  assert.equal(report.unfixed.exitCode, 1, "the check fails on the unfixed kernel");
  assert.equal(report.verify.ok, true);
  assert.match(report.verify.checkOutput, /EOPNOTSUPP/);
});
