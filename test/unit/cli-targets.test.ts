// SPDX-License-Identifier: GPL-2.0-only
// Several targets on one command line: the list of targets, the per-target module names, and
// the pairing of modules with targets by the release in their vermagic (refused in a sentence
// when a module was built for none of them).
import assert from "node:assert/strict";
import { test } from "node:test";
import { moduleFileFor, pairModules, targetsFrom } from "../../src/cli/targets.ts";
import { parseTargetName } from "../../src/kernel/target-layout.ts";
import { fakeKo } from "./runtime/fake-ko.ts";

const A = "debian:6.1.0-50-amd64";
const B = "debian:6.12.107+deb12-amd64";

test("targets: the default when none given, each named one once, in order", () => {
  assert.deepEqual(
    targetsFrom(undefined).map((t) => t.release),
    ["6.1.0-50-amd64"],
  );
  assert.deepEqual(
    targetsFrom([B, A, B]).map((t) => t.release),
    ["6.12.107+deb12-amd64", "6.1.0-50-amd64"],
  );
  assert.throws(() => targetsFrom(["debian:nope"]), /is not a target name/);
  assert.equal(moduleFileFor("/out", "hp_x", parseTargetName(B)), "/out/hp_x-6.12.107+deb12-amd64.ko");
});

test("modules are paired with their target by vermagic; a module for none of them is refused", () => {
  const forB = fakeKo("lp_b", {
    modinfo: [
      "vermagic=6.12.107+deb12-amd64 SMP preempt mod_unload modversions ",
      "livepatch=Y",
      "name=lp_b",
    ],
  });
  const forA = fakeKo("lp_a", {
    modinfo: ["vermagic=6.1.0-50-amd64 SMP preempt mod_unload modversions ", "livepatch=Y", "name=lp_a"],
  });
  const pairs = pairModules([forB, forA], targetsFrom([A, B]));
  assert.deepEqual(
    pairs.map((p) => [p.ko, p.target.release]),
    [
      [forB, "6.12.107+deb12-amd64"],
      [forA, "6.1.0-50-amd64"],
    ],
  );
  assert.throws(
    () => pairModules([forB], targetsFrom([A])),
    /built for kernel 6\.12\.107\+deb12-amd64, which is none of the targets given \(debian:6\.1\.0-50-amd64\): add --target debian:6\.12\.107\+deb12-amd64\./,
  );
});
