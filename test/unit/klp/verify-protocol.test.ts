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
  assert.match(
    VERIFY_GUEST_SCRIPT,
    /^\s*ko=\$1; name=\$2; limit=\$3; check=\$4; oldko=\$\{5:-\}; oldname=\$\{6:-\}$/m,
  );
  assert.match(VERIFY_GUEST_SCRIPT, /bash -c "\$check"/);
  for (const step of ["load\\$sfx", "transition\\$sfx", "check\\$1", "retire-old", "disable", "unload"])
    assert.match(VERIFY_GUEST_SCRIPT, new RegExp(`report ${step} ok`));
});

test("an upgrade's steps: the old patch's end in -old, each check keeps its own output", () => {
  const out = [
    "HPSTEP load-old ok 10 ",
    "HPSTEP transition-old ok 900 ",
    "HPCHECK-BEGIN check-old",
    "old says hi",
    "HPCHECK-END",
    "HPSTEP check-old ok 20 ",
    "HPSTEP load ok 11 ",
    "HPSTEP transition ok 800 ",
    "HPSTEP retire-old ok 300 hp_old retired and its module removed",
    "HPCHECK-BEGIN check",
    "new says hi",
    "HPCHECK-END",
    "HPSTEP check fail 25 the check exited with status 1",
  ].join("\n");
  const parsed = parseVerifyOutput(out);
  assert.deepEqual(
    parsed.steps.map((s) => [s.step, s.ok, s.output ?? null]),
    [
      ["load-old", true, null],
      ["transition-old", true, null],
      ["check-old", true, "old says hi"],
      ["load", true, null],
      ["transition", true, null],
      ["retire-old", true, null],
      ["check", false, "new says hi"],
    ],
  );
  assert.equal(parsed.steps[5]?.detail, "hp_old retired and its module removed");
  assert.equal(parsed.checkOutput, "new says hi");
  assert.equal(parsed.done, false);
});
