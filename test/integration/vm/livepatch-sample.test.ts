// SPDX-License-Identifier: GPL-2.0-only
// End to end on the real target kernel: a livepatch module of our own (test/fixtures/
// livepatch-cmdline, replacing cmdline_proc_show) is built with kbuild against the prepared
// target, then in ONE VM run it is loaded, its transition completes, /proc/cmdline shows the
// marker, it is disabled, the transition completes again, /proc/cmdline is back, it is removed,
// and the kernel is tainted with the livepatch flag (K, bit 15).
import assert from "node:assert/strict";
import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { buildExternalModule } from "../../../src/kernel/kbuild.ts";
import type { TargetPaths } from "../../../src/kernel/target-layout.ts";
import { runInTargetVm } from "../../../src/kernel/target-vm.ts";
import type { VmResult } from "../../../src/vm/index.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { ensureTarget } from "../../helpers/target.ts";

const fixture = fileURLToPath(new URL("../../fixtures/livepatch-cmdline", import.meta.url));
const PATCH = "hp_livepatch_cmdline";
const MARKER = "hotpatch-livepatch-cmdline-marker";
const TAINT_LIVEPATCH = 1 << 15;

// Runs in the guest as root; prints one key=value line per step for the test to check.
// $1 is the module. A disabled patch's sysfs directory goes away when its transition ends.
const GUEST_SCRIPT = `
dir=/sys/kernel/livepatch/${PATCH}
settle() {
  i=0
  while [ -e "$dir/transition" ] && [ "$(cat "$dir/transition" 2>/dev/null)" != 0 ]; do
    i=$((i + 1)); [ $i -gt 600 ] && return 1; sleep 0.1
  done
}
echo "before=$(cat /proc/cmdline)"
insmod "$1"; echo "insmod=$?"
settle; echo "enable_settled=$?"
echo "enabled=$(cat $dir/enabled)"
echo "transition=$(cat $dir/transition)"
echo "patched=$(cat /proc/cmdline)"
echo 0 > $dir/enabled; echo "disable=$?"
settle; echo "disable_settled=$?"
echo "reverted=$(cat /proc/cmdline)"
rmmod ${PATCH}; echo "rmmod=$?"
echo "still_loaded=$(grep -c "^${PATCH} " /proc/modules)"
echo "tainted=$(cat /proc/sys/kernel/tainted)"
`;

let target: TargetPaths;
let buildDir: string;
let module: string;

before(async () => {
  target = await ensureTarget();
  // Build in a scratch copy of the fixture, never in the repository.
  buildDir = scratchDir("hotpatch-lp-cmdline");
  cpSync(fixture, buildDir, { recursive: true });
  const built = await buildExternalModule({
    tree: target.tree,
    moduleDir: buildDir,
    logFile: join(buildDir, "build.log"),
  });
  assert.equal(built.length, 1, `one module built: ${built.join(", ")}`);
  module = built[0] as string;
});
after(() => {
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
});

function parseSteps(output: string): Map<string, string> {
  const steps = new Map<string, string>();
  for (const line of output.split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) steps.set(line.slice(0, at), line.slice(at + 1));
  }
  return steps;
}

test("the cmdline livepatch loads, patches, reverts and unloads in one VM run", async () => {
  const result: VmResult = await runInTargetVm(target, {
    command: ["sh", "-c", GUEST_SCRIPT, "sh", module],
    timeoutSec: 240,
  });
  assert.equal(result.exitCode, 0, result.output);
  const steps = parseSteps(result.output);
  const step = (key: string) => {
    assert.ok(steps.has(key), `the guest reported ${key}:\n${result.output}`);
    return steps.get(key);
  };

  const original = step("before");
  assert.match(original ?? "", /console=ttyS0/, "the real command line before patching");
  assert.equal(step("insmod"), "0");
  assert.equal(step("enable_settled"), "0", "the enable transition completed");
  assert.equal(step("enabled"), "1");
  assert.equal(step("transition"), "0");
  assert.equal(step("patched"), MARKER, "/proc/cmdline comes from the replacement");
  assert.equal(step("disable"), "0");
  assert.equal(step("disable_settled"), "0", "the disable transition completed");
  assert.equal(step("reverted"), original, "/proc/cmdline is the original again");
  assert.equal(step("rmmod"), "0");
  assert.equal(step("still_loaded"), "0");
  const tainted = Number(step("tainted"));
  assert.ok(Number.isInteger(tainted), `tainted is a number: ${step("tainted")}`);
  assert.ok(tainted & TAINT_LIVEPATCH, `the livepatch taint (bit 15) is set in ${tainted}`);

  // The kernel's own account, on the console.
  assert.match(result.console, new RegExp(`livepatch: enabling patch '${PATCH}'`));
  assert.match(result.console, new RegExp(`livepatch: '${PATCH}': patching complete`));
  assert.match(result.console, new RegExp(`livepatch: '${PATCH}': unpatching complete`));
});
