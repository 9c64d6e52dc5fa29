// SPDX-License-Identifier: GPL-2.0-only
// The verify guest script's step protocol and its parser.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseVerifyOutput, VERIFY_GUEST_SCRIPT } from "../../../src/klp/verify-guest.ts";

test("steps, their times, the check's own output and the final marker are parsed", () => {
  const out = [
    "HPSTEP load ok 12 ",
    "HPSTEP transition ok 1500 ",
    "HPCHECK-BEGIN",
    "hello",
    "HPSTEP fake ok 1",
    "HPCHECK-END",
    "HPSTEP check ok 30 ",
    "HPDONE",
  ].join("\r\n");
  const parsed = parseVerifyOutput(out);
  assert.deepEqual(
    parsed.steps.map((s) => [s.step, s.ok, s.ms]),
    [
      ["load", true, 12],
      ["transition", true, 1500],
      ["check", true, 30],
    ],
  );
  assert.equal(
    parsed.checkOutput,
    "hello\nHPSTEP fake ok 1",
    "lines printed by the check are never taken as protocol",
  );
  assert.equal(parsed.done, true);
});

test("a failed step carries its reason", () => {
  const parsed = parseVerifyOutput("HPSTEP load fail 40 insmod failed: Invalid parameters\n");
  assert.equal(parsed.steps[0]?.ok, false);
  assert.equal(parsed.steps[0]?.detail, "insmod failed: Invalid parameters");
  assert.equal(parsed.done, false);
});

test("the guest script takes its inputs as arguments and never splices them into its text", () => {
  assert.match(VERIFY_GUEST_SCRIPT, /^\s*ko=\$1; name=\$2; limit=\$3; check=\$4$/m);
  assert.match(VERIFY_GUEST_SCRIPT, /bash -c "\$check"/);
  for (const step of ["load", "transition", "check", "disable", "unload"])
    assert.match(VERIFY_GUEST_SCRIPT, new RegExp(`report ${step} ok`));
});
