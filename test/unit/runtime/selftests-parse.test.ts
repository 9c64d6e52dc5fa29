// SPDX-License-Identifier: GPL-2.0-only
// The peer-suite runner's reading of the guest output: one result per selftest script.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseSelftestOutput } from "../../../scripts/run-livepatch-selftests.ts";

test("selftest output splits into scripts with pass, fail and skip", () => {
  const output = [
    "=== BEGIN test-livepatch.sh",
    "TEST: basic function patching ... ok",
    "TEST: multiple livepatches ... ok",
    "=== END test-livepatch.sh rc=0 seconds=37",
    "=== BEGIN test-state.sh",
    "TEST: system state modification ... not ok",
    "--- expected",
    "ERROR: livepatch kselftest(s) failed",
    "=== END test-state.sh rc=1 seconds=5",
    "=== BEGIN test-ftrace.sh",
    "SKIP: failed to set kernel.ftrace_enabled = 0",
    "=== END test-ftrace.sh rc=4 seconds=1",
  ].join("\n");
  const results = parseSelftestOutput(output);
  assert.deepEqual(
    results.map((r) => [r.script, r.outcome, r.tests.length]),
    [
      ["test-livepatch.sh", "pass", 2],
      ["test-state.sh", "fail", 1],
      ["test-ftrace.sh", "skip", 0],
    ],
  );
  assert.equal(results[1]?.tests[0]?.ok, false);
  assert.match(results[1]?.detail ?? "", /kselftest\(s\) failed/);
  assert.equal(results[0]?.detail, "");
});
