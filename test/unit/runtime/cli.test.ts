// SPDX-License-Identifier: GPL-2.0-only
// The runtime commands through the built CLI, against a fake /sys and /proc (parsing and
// refusals only: real loads are tested on the target kernel in the VM).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { hotpatch } from "../../helpers/cli.ts";
import { fakeKo, RELEASE, VERMAGIC } from "./fake-ko.ts";
import { FakeSystem } from "./fake-system.ts";

test("list --json reports patches, retired modules, installed patches and taint", async () => {
  const sys = new FakeSystem(undefined, 1 << 15)
    .addPatch({
      name: "lp_b",
      objects: {
        vmlinux: { patched: true, functions: ["cmdline_proc_show,1"] },
        nfsd: { patched: false, functions: ["nfsd_foo,0"] },
      },
    })
    .addModule("lp_a", { taint: "K", refcnt: 0 });
  const result = await hotpatch(["list", "--json"], { env: sys.cliEnv() });
  assert.equal(result.exitCode, 0, result.stderr);
  const status = JSON.parse(result.stdout);
  assert.equal(status.patches[0].name, "lp_b");
  assert.deepEqual(
    status.patches[0].objects.map((o: { name: string; patched: boolean }) => [o.name, o.patched]),
    [
      ["nfsd", false],
      ["vmlinux", true],
    ],
  );
  assert.deepEqual(status.retired, [{ name: "lp_a", refcnt: 0, removable: true }]);
  assert.equal(status.taint.letters, "K");
  const text = await hotpatch(["status"], { env: sys.cliEnv() });
  assert.match(text.stdout, /nfsd: waiting for the module to load/);
  assert.match(text.stdout, /lp_a: retired/);
  assert.match(text.stdout, /kernel taint: 32768 K/);
});

test("status NAME of an unknown patch fails with one sentence; an installed-only one is shown", async () => {
  const sys = new FakeSystem();
  const result = await hotpatch(["status", "nope"], { env: sys.cliEnv() });
  assert.equal(result.exitCode, 1);
  assert.equal(result.stderr, "hotpatch: No livepatch named nope is loaded or installed.");
  const ko = fakeKo("lp_later", { modinfo: [VERMAGIC, "livepatch=Y", "name=lp_later"], replace: true });
  assert.equal((await hotpatch(["install", ko], { env: sys.cliEnv() })).exitCode, 0);
  const shown = await hotpatch(["status", "lp_later"], { env: sys.cliEnv() });
  assert.equal(shown.exitCode, 0, shown.stderr);
  assert.match(shown.stdout, /lp_later: installed for boot, not loaded/);
});

test("load refuses a module for another kernel before touching the system", async () => {
  const sys = new FakeSystem();
  const ko = fakeKo("lp_other", { modinfo: ["vermagic=6.1.0-99-amd64 SMP preempt ", "livepatch=Y"] });
  const result = await hotpatch(["load", ko], { env: sys.cliEnv() });
  assert.equal(result.exitCode, 1);
  assert.match(
    result.stderr,
    /was built for kernel 6\.1\.0-99-amd64, but this system runs 6\.1\.0-50-amd64: it is not loaded\./,
  );
  assert.equal(existsSync(join(sys.env.runDir, "lock")), false);
});

test("install and uninstall through the CLI write and clear the store", async () => {
  const sys = new FakeSystem();
  const ko = fakeKo("lp_inst", { modinfo: [VERMAGIC, "livepatch=Y", "name=lp_inst"], replace: true });
  const installed = await hotpatch(["install", ko, "--json"], { env: sys.cliEnv() });
  assert.equal(installed.exitCode, 0, installed.stderr);
  assert.equal(JSON.parse(installed.stdout).replace, "replace");
  assert.ok(existsSync(join(sys.env.stateDir, RELEASE, "lp_inst.ko")));
  const listed = JSON.parse((await hotpatch(["list", "--json"], { env: sys.cliEnv() })).stdout);
  assert.deepEqual(
    listed.installed.map((i: { name: string }) => i.name),
    ["lp_inst"],
  );
  const removed = await hotpatch(["uninstall", "lp_inst"], { env: sys.cliEnv() });
  assert.equal(removed.exitCode, 0, removed.stderr);
  assert.equal(existsSync(join(sys.env.stateDir, RELEASE, "lp_inst.ko")), false);
});

test("load --all with hotpatch.skip on the command line loads nothing", async () => {
  const sys = new FakeSystem().setCmdline("root=/dev/vda hotpatch.skip");
  const result = await hotpatch(["load", "--all", "--json"], { env: sys.cliEnv() });
  assert.equal(result.exitCode, 0, result.stderr);
  assert.equal(JSON.parse(result.stdout).skipped, true);
});

test("unload of a patch that is not loaded is refused with the reason", async () => {
  const sys = new FakeSystem().addPatch({ name: "lp_x", objects: {} });
  const result = await hotpatch(["unload", "lp_y"], { env: sys.cliEnv() });
  assert.equal(result.exitCode, 1);
  assert.match(result.stderr, /No livepatch named lp_y is loaded \(loaded: lp_x\)\./);
});

test("load and unload wait their turn while another patch is in transition", async () => {
  const sys = new FakeSystem()
    .addPatch({ name: "lp_t", transition: true, objects: {} })
    .addPatch({ name: "lp_u", objects: {} });
  const busy = /Livepatch lp_t is in transition; the kernel runs one transition at a time: try again later\./;
  const ko = fakeKo("lp_new", { modinfo: [VERMAGIC, "livepatch=Y"] });
  const load = await hotpatch(["load", ko], { env: sys.cliEnv() });
  assert.equal(load.exitCode, 1);
  assert.match(load.stderr, busy);
  const unload = await hotpatch(["unload", "lp_u"], { env: sys.cliEnv() });
  assert.equal(unload.exitCode, 1);
  assert.match(unload.stderr, busy);
});

test("unload refuses a patch in transition, and a module held by another", async () => {
  const sys = new FakeSystem().addPatch({ name: "lp_t", transition: true, objects: {} });
  const t = await hotpatch(["unload", "lp_t"], { env: sys.cliEnv() });
  assert.equal(t.exitCode, 1);
  assert.match(t.stderr, /Livepatch lp_t is in transition: wait for it to finish before unloading\./);
  const held = new FakeSystem().addModule("lp_h", { taint: "K", refcnt: 1, holders: ["other_mod"] });
  const busy = await hotpatch(["unload", "lp_h"], { env: held.cliEnv() });
  assert.equal(busy.exitCode, 1);
  assert.match(busy.stderr, /Module lp_h is in use by other_mod: unload those first\./);
});
