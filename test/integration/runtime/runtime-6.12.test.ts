// SPDX-License-Identifier: GPL-2.0-only
// The operator's commands inside a guest of the 6.12 family, in one VM boot: load, list --json,
// a cumulative patch retiring a stacking one, status, install + the boot unit's `load --all`,
// unload. On 6.12 the kernel's sysfs says itself whether a patch replaces (`replace`, 6.11+),
// and hotpatch reports that; the 6.1 test (runtime.test.ts) covers the rest on the other family.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { before, describe, test } from "node:test";
import type { TargetPaths } from "../../../src/kernel/target-layout.ts";
import { runInTargetVm } from "../../../src/kernel/target-vm.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { ensureTarget, TARGET_6_12 } from "../../helpers/target.ts";
import { buildRuntimeFixtures, fixturesDir, unitExecStart } from "./fixtures.ts";

describe(`hotpatch load/list/status/unload/install in a ${TARGET_6_12} guest`, () => {
  let paths: TargetPaths;
  let release: string;
  let outDir: string;
  const read = (name: string, ext = "out") =>
    existsSync(join(outDir, `${name}.${ext}`)) ? readFileSync(join(outDir, `${name}.${ext}`), "utf8") : "";
  const ok = (name: string) => assert.equal(read(name, "rc").trim(), "0", `${name}: ${read(name, "err")}`);
  const json = (name: string) => {
    ok(name);
    return JSON.parse(read(name));
  };

  before(async () => {
    paths = await ensureTarget(TARGET_6_12);
    release = basename(paths.modulesDir);
    const modules = await buildRuntimeFixtures(paths, release);
    outDir = scratchDir("hp-runtime-612-out");
    const result = await runInTargetVm(paths, {
      command: ["bash", join(fixturesDir, "guest-runtime-6.12.sh"), modules, outDir, ...unitExecStart()],
      writableDir: outDir,
      timeoutSec: 600,
    });
    assert.equal(read("finished").trim(), "done", `guest script did not finish:\n${result.output}`);
  });

  test("the guest runs the 6.12 kernel, with livepatch support and nothing loaded", () => {
    const list = json("list0");
    assert.equal(list.release, release);
    assert.match(release, /^6\.12\./);
    assert.equal(list.livepatchSupported, true);
    assert.deepEqual(list.patches, []);
  });

  test("a stacking patch loads; the kernel's replace attribute says 0 and list reports stack", () => {
    assert.equal(json("loadA").outcome, "loaded");
    assert.equal(read("replaceA").trim(), "0");
    assert.equal(read("cmdlineA"), "hp_rt_a\n");
    const [a] = json("listA").patches;
    assert.equal(a.name, "hp_rt_a");
    assert.equal(a.replace, "stack");
    assert.equal(a.replaceAttribute, false);
    assert.deepEqual(
      a.objects.map((o: { name: string; patched: boolean }) => [o.name, o.patched]),
      [["vmlinux", true]],
    );
  });

  test("a cumulative patch retires the stacking one and removes its module", () => {
    const b = json("loadB");
    assert.equal(b.replace, "replace");
    assert.deepEqual(b.retired, ["hp_rt_a"]);
    assert.deepEqual(b.removedModules, ["hp_rt_a"]);
    assert.equal(read("cmdlineB"), "hp_rt_b\n");
    const list = json("listB");
    assert.deepEqual(
      list.patches.map((p: { name: string; replace: string; replaceAttribute: boolean }) => [
        p.name,
        p.replace,
        p.replaceAttribute,
      ]),
      [["hp_rt_b", "replace", true]],
    );
    assert.deepEqual(list.retired, []);
    assert.equal(json("statusB").patches[0]?.enabled, true);
  });

  test("unload disables and removes the patch", () => {
    assert.equal(json("unloadB").disabled, true);
    assert.deepEqual(json("listEmpty").patches, []);
  });

  test("an installed patch is loaded by the boot unit's load --all, and unloads again", () => {
    ok("installB");
    assert.deepEqual(json("boot").entries, [{ name: "hp_rt_b", outcome: "loaded" }]);
    assert.equal(read("cmdlineBoot"), "hp_rt_b\n");
    ok("uninstallB");
    ok("unloadBoot");
    assert.deepEqual(json("listEnd").patches, []);
  });
});
