// SPDX-License-Identifier: GPL-2.0-only
// The worked example examples/shadow-struct-field: a fix that uses include/hotpatch/
// klp-helpers.h for a shadow variable (a per-task counter: a new "field" of task_struct) and
// callbacks. Built, then proven in a VM: the counter survives between two reads by one
// process, and the pre_patch callback ran.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, test } from "node:test";
import { repoRoot } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { ensureTarget } from "../../helpers/target.ts";
import { buildFix, verifyOk } from "./helpers.ts";

const scratch = scratchDir("hotpatch-shadow-it");
before(async () => {
  await ensureTarget();
});

test("shadow variable + callbacks example builds with both callbacks and verifies in the VM", async () => {
  const ko = join(scratch, "counter.ko");
  const report = await buildFix(
    join(repoRoot, "examples", "shadow-struct-field", "cmdline-read-counter.patch"),
    ko,
  );
  assert.deepEqual(
    report.functions
      .filter((f) => f.status === "callback")
      .map((f) => f.name)
      .sort(),
    ["__hotpatch_post_unpatch", "__hotpatch_pre_patch"],
  );
  assert.ok(report.kernelReferences.some((r) => r.kind === "export" && r.name === "klp_shadow_get_or_alloc"));
  const verified = await verifyOk(
    ko,
    'read a < /proc/cmdline; read b < /proc/cmdline; echo "$b"; case "$b" in *" reads=2") ;; *) exit 1;; esac; dmesg | grep "hotpatch example: pre_patch"',
  );
  assert.match(verified.checkOutput, /reads=2/);
  assert.match(verified.checkOutput, /pre_patch for vmlinux/);
});
