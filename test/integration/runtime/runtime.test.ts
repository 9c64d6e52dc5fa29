// SPDX-License-Identifier: GPL-2.0-only
// The operator's commands on the real target kernel, in one VM boot: refusals before insmod,
// load/idempotence, a cumulative patch retiring an earlier one, unload, a stalled transition
// that names its task and reverts, the lock serialising two commands, install + the systemd
// unit's ExecStart (twice), and --force. A second short boot checks the hotpatch.skip switch.
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { before, describe, test } from "node:test";
import type { TargetPaths } from "../../../src/kernel/target-layout.ts";
import { runInTargetVm } from "../../../src/kernel/target-vm.ts";
import { hotpatchBin } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { ensureTarget } from "../../helpers/target.ts";
import { buildRuntimeFixtures, fixturesDir, readGuestStep, unitExecStart } from "./fixtures.ts";

describe("hotpatch load/unload/list/status/install on the target kernel", () => {
  let paths: TargetPaths;
  let release: string;
  let modules: string;
  let outDir: string;
  let console = "";
  const step = (name: string) => readGuestStep(outDir, name);
  const json = (name: string) => JSON.parse(step(name).out);

  before(async () => {
    paths = await ensureTarget();
    release = basename(paths.modulesDir);
    modules = await buildRuntimeFixtures(paths, release);
    outDir = scratchDir("hp-runtime-out");
    const result = await runInTargetVm(paths, {
      command: ["bash", join(fixturesDir, "guest-runtime.sh"), modules, outDir, ...unitExecStart()],
      writableDir: outDir,
      timeoutSec: 600,
    });
    console = result.console;
    assert.equal(step("finished").out.trim(), "done", `guest script did not finish:\n${result.output}`);
  });

  test("nothing is loaded at first; the kernel has livepatch support", () => {
    const s = json("list0");
    assert.equal(s.livepatchSupported, true);
    assert.equal(s.release, release);
    assert.deepEqual(s.patches, []);
  });

  test("a module built for another kernel release is refused before insmod", () => {
    const s = step("wrongkernel");
    assert.notEqual(s.rc, 0);
    assert.match(
      s.err,
      new RegExp(`built for kernel 6\\.1\\.0-99-amd64, but this system runs ${release}: it is not loaded\\.`),
    );
    assert.equal(step("wrongkernelLoaded").out.trim(), "0");
  });

  test("a module that is not a livepatch is refused before insmod", () => {
    const s = step("notlivepatch");
    assert.notEqual(s.rc, 0);
    assert.match(s.err, /is not a livepatch module \(its modinfo has no livepatch=Y\)/);
    assert.equal(step("notlivepatchLoaded").out.trim(), "0");
  });

  test("load waits for the transition; the patched function runs; status shows it and the K taint", () => {
    assert.equal(step("loadA").rc, 0, step("loadA").err);
    assert.equal(json("loadA").outcome, "loaded");
    assert.equal(json("loadA").replace, "stack");
    assert.equal(step("cmdlineA").out, "hp_rt_a\n");
    const s = json("statusA");
    const [patch] = s.patches;
    assert.equal(patch.name, "hp_rt_a");
    assert.equal(patch.enabled, true);
    assert.equal(patch.transition, false);
    assert.deepEqual(patch.objects, [
      { name: "vmlinux", patched: true, functions: [{ name: "cmdline_proc_show", sympos: 1 }] },
    ]);
    assert.ok(s.taint.letters.includes("K"), s.taint.letters);
  });

  test("loading the same patch again is a no-op", () => {
    assert.equal(step("loadAagain").rc, 0);
    assert.equal(json("loadAagain").outcome, "already-loaded");
  });

  test("a cumulative (replace) patch retires the earlier one and its module is removed", () => {
    const b = json("loadB");
    assert.equal(b.replace, "replace");
    assert.deepEqual(b.retired, ["hp_rt_a"]);
    assert.deepEqual(b.removedModules, ["hp_rt_a"]);
    assert.equal(step("cmdlineB").out, "hp_rt_b\n");
    assert.equal(step("versionB").out, "hp_rt_b version\n");
    assert.equal(step("moduleAafterB").out.trim(), "0");
    const list = json("listB");
    assert.deepEqual(
      list.patches.map((p: { name: string; replace: string }) => [p.name, p.replace]),
      [["hp_rt_b", "replace"]],
    );
    assert.match(
      step("listBtext").out,
      /hp_rt_b\s+enabled\s+replace\s+vmlinux\s+2\s+rt-a\.patch, rt-b\.patch/,
    );
    assert.deepEqual(
      list.patches[0].fixes.map((f: { fix: string }) => f.fix),
      ["rt-a.patch", "rt-b.patch"],
    );
  });

  test("unload disables, waits and removes; unloading it again is refused", () => {
    assert.equal(step("unloadB").rc, 0, step("unloadB").err);
    assert.equal(json("unloadB").disabled, true);
    assert.notEqual(step("cmdlineC").out, "hp_rt_b\n");
    assert.equal(step("moduleBafterUnload").out.trim(), "0");
    assert.notEqual(step("unloadMissing").rc, 0);
    assert.match(step("unloadMissing").err, /No livepatch named hp_rt_b is loaded/);
  });

  test("a stalled transition names the task and the patched function, then reverts", () => {
    const during = json("stallList");
    const stalled = during.patches.find((p: { name: string }) => p.name === "hp_rt_stall_patch");
    assert.equal(stalled?.transition, true, "list shows the patch in transition");
    assert.ok(
      stalled.pendingTasks.some((t: string) =>
        /hp_stall: patch_state 0, sleeping in patched hp_stall_sleep/.test(t),
      ),
      `list names the stalled task: ${JSON.stringify(stalled.pendingTasks)}`,
    );
    const s = step("stall");
    assert.notEqual(s.rc, 0);
    assert.match(s.err, /did not complete within 20\.0 s .*reverted and the module removed/);
    assert.match(s.err, /pid \d+ hp_stall: patch_state 0, sleeping in patched hp_stall_sleep/);
    assert.equal(step("stallPatchModule").out.trim(), "0");
    assert.equal(step("afterStallPatches").out.includes("hp_rt_stall_patch"), false);
  });

  test("a second command waits for the lock instead of interleaving, then succeeds", () => {
    const c = step("concurrent");
    assert.equal(c.rc, 0, c.err);
    assert.match(c.err, /waiting for another hotpatch process/);
    assert.equal(json("concurrent").outcome, "loaded");
    assert.equal(step("unloadAfterConcurrent").rc, 0, step("unloadAfterConcurrent").err);
  });

  test("install keeps patches per release; the unit's ExecStart loads this release's, idempotently", () => {
    assert.equal(step("installA").rc, 0, step("installA").err);
    assert.equal(step("installOther").rc, 0, step("installOther").err);
    assert.deepEqual(step("store").out.trim().split("\n"), [
      "/var/lib/hotpatch/6.1.0-50-amd64/hp_rt_a.json",
      "/var/lib/hotpatch/6.1.0-50-amd64/hp_rt_a.ko",
      "/var/lib/hotpatch/6.1.0-99-amd64/hp_rt_a.json",
      "/var/lib/hotpatch/6.1.0-99-amd64/hp_rt_a.ko",
    ]);
    const boot1 = json("boot1");
    assert.equal(step("boot1").rc, 0, step("boot1").err);
    assert.deepEqual(boot1.entries, [{ name: "hp_rt_a", outcome: "loaded" }]);
    assert.deepEqual(boot1.otherReleases, ["6.1.0-99-amd64"]);
    assert.equal(step("cmdlineBoot").out, "hp_rt_a\n");
    assert.deepEqual(json("boot2").entries, [{ name: "hp_rt_a", outcome: "already-loaded" }]);
    assert.deepEqual(json("uninstallA").releases, ["6.1.0-50-amd64", "6.1.0-99-amd64"]);
    assert.equal(step("unloadBootA").rc, 0, step("unloadBootA").err);
  });

  test("a livepatch module held by another module is not unloaded until the holder goes", () => {
    assert.equal(step("loadC").rc, 0, step("loadC").err);
    assert.equal(step("insmodUser").rc, 0, step("insmodUser").err);
    const held = step("heldUnload");
    assert.equal(held.rc, 1);
    assert.equal(held.err.trim(), "hotpatch: Module hp_rt_c is in use by hp_rt_user: unload those first.");
    assert.equal(step("heldPatch").out.trim(), "1", "the refused unload left the patch enabled");
    assert.equal(step("rmmodUser").rc, 0, step("rmmodUser").err);
    assert.equal(step("unloadC").rc, 0, step("unloadC").err);
  });

  test("SIGINT during the transition reverts the load", () => {
    const s = step("interrupt");
    assert.notEqual(s.rc, 0);
    assert.match(
      s.err,
      /Loading hp_rt_stall_patch was interrupted during its transition; it was reverted and the module removed/,
    );
    assert.equal(step("interruptPatchModule").out.trim(), "0");
  });

  test("--force completes a stalled transition with a warning, and such a patch cannot be unloaded", () => {
    const f = step("forced");
    assert.equal(f.rc, 0, f.err);
    assert.match(f.err, /a forced patch can never be unloaded/);
    assert.equal(json("forced").forced, true);
    assert.equal(json("forcedStatus").patches[0].forced, true);
    const u = step("forcedUnload");
    assert.notEqual(u.rc, 0);
    assert.match(u.err, /forced transition, and a forced patch can never be unloaded/);
  });

  test("the guest kernel logged no oops", () => {
    assert.doesNotMatch(console, /Oops|BUG:|general protection/);
  });
});

describe("hotpatch.skip on the kernel command line", () => {
  test("load --all loads nothing when booted with hotpatch.skip", async () => {
    const paths = await ensureTarget();
    const modules = await buildRuntimeFixtures(paths, basename(paths.modulesDir));
    const result = await runInTargetVm(paths, {
      command: [
        "bash",
        "-c",
        'node "$0" install "$1/hp_rt_a.ko" >/dev/null && node "$0" load --all --json && ls /sys/kernel/livepatch | wc -l',
        hotpatchBin,
        modules,
      ],
      extraCmdline: ["hotpatch.skip"],
      timeoutSec: 300,
    });
    assert.equal(result.exitCode, 0, result.output);
    assert.match(result.output, /"skipped": true/);
    assert.match(result.output, /^0$/m);
  });
});
