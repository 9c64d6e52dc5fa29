// SPDX-License-Identifier: GPL-2.0-only
// The install store: per-release directories, the .json commit record, crash leftovers,
// uninstall, and which installed patches `load --all` loads.
import assert from "node:assert/strict";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { skipRequested } from "../../../src/runtime/boot.ts";
import { installPatch, listInstalled, storeReleases, uninstallPatch } from "../../../src/runtime/store.ts";
import { fakeKo, fixEntry, RELEASE, VERMAGIC } from "./fake-ko.ts";
import { FakeSystem } from "./fake-system.ts";

test("install files a patch under the release of its vermagic, with a checksum record", () => {
  const sys = new FakeSystem();
  const a = installPatch(
    sys.env,
    fakeKo("lp_a", { modinfo: [VERMAGIC, "livepatch=Y", "name=lp_a", fixEntry("a.patch")], replace: false }),
  );
  const b = installPatch(
    sys.env,
    fakeKo("lp_b", {
      modinfo: [VERMAGIC, "livepatch=Y", "name=lp_b", fixEntry("a.patch"), fixEntry("b.patch")],
      replace: true,
    }),
  );
  installPatch(
    sys.env,
    fakeKo("lp_c", { modinfo: ["vermagic=6.1.0-99-amd64 SMP ", "livepatch=Y", "name=lp_c"] }),
  );
  assert.equal(a.path, join(sys.env.stateDir, RELEASE, "lp_a.ko"));
  assert.deepEqual(storeReleases(sys.env), ["6.1.0-50-amd64", "6.1.0-99-amd64"]);
  const installed = listInstalled(sys.env, RELEASE);
  assert.deepEqual(
    installed.map((p) => [p.name, p.sequence, p.replace, p.complete]),
    [
      ["lp_a", 1, "stack", true],
      ["lp_b", 2, "replace", true],
    ],
  );
  assert.equal(b.sha256.length, 64);
});

test("reinstalling a name moves it to the end of the load order", () => {
  const sys = new FakeSystem();
  const a = fakeKo("lp_a", { modinfo: [VERMAGIC, "livepatch=Y", "name=lp_a"] });
  installPatch(sys.env, a);
  installPatch(sys.env, fakeKo("lp_b", { modinfo: [VERMAGIC, "livepatch=Y", "name=lp_b"] }));
  installPatch(sys.env, a);
  assert.deepEqual(
    listInstalled(sys.env, RELEASE).map((p) => p.name),
    ["lp_b", "lp_a"],
  );
});

test("a module that is not a livepatch is not installed", () => {
  const sys = new FakeSystem();
  assert.throws(
    () => installPatch(sys.env, fakeKo("plain", { modinfo: [VERMAGIC] })),
    /not a livepatch module/,
  );
  assert.equal(existsSync(join(sys.env.stateDir, RELEASE)), false);
});

test("after a crash: a module without its record is swept, a damaged module is marked incomplete", () => {
  const sys = new FakeSystem();
  installPatch(sys.env, fakeKo("lp_a", { modinfo: [VERMAGIC, "livepatch=Y", "name=lp_a"] }));
  const dir = join(sys.env.stateDir, RELEASE);
  writeFileSync(join(dir, "lp_half.ko"), "half written"); // crashed before its record
  writeFileSync(join(dir, "lp_x.ko.partial-1-2"), "scratch");
  writeFileSync(join(dir, "lp_a.ko"), "corrupted"); // record no longer matches
  assert.deepEqual(
    listInstalled(sys.env, RELEASE).map((p) => [p.name, p.complete]),
    [["lp_a", false]],
  );
  installPatch(sys.env, fakeKo("lp_b", { modinfo: [VERMAGIC, "livepatch=Y", "name=lp_b"] }));
  assert.deepEqual(readdirSync(dir).sort(), ["lp_a.json", "lp_a.ko", "lp_b.json", "lp_b.ko"]);
});

test("uninstall removes a patch from every release, or from one; unknown names are refused", () => {
  const sys = new FakeSystem();
  installPatch(sys.env, fakeKo("lp_a", { modinfo: [VERMAGIC, "livepatch=Y", "name=lp_a"] }));
  installPatch(
    sys.env,
    fakeKo("lp_a2", { modinfo: ["vermagic=6.1.0-99-amd64 ", "livepatch=Y", "name=lp_a"] }),
  );
  assert.deepEqual(uninstallPatch(sys.env, "lp_a", "6.1.0-99-amd64"), ["6.1.0-99-amd64"]);
  assert.deepEqual(uninstallPatch(sys.env, "lp_a"), [RELEASE]);
  assert.throws(() => uninstallPatch(sys.env, "lp_a"), /No installed livepatch named lp_a/);
  assert.throws(() => uninstallPatch(sys.env, "../etc"), /not a livepatch module name/);
});

test("hotpatch.skip on the kernel command line is recognised as a whole word", () => {
  assert.equal(skipRequested("root=/dev/vda ro hotpatch.skip quiet"), true);
  assert.equal(skipRequested("root=/dev/vda hotpatch.skip=1"), true);
  assert.equal(skipRequested("root=/dev/vda hotpatch.skip=0"), false);
  assert.equal(skipRequested("root=/dev/vda nohotpatch.skipper"), false);
});
