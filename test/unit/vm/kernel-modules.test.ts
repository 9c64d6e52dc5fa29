// SPDX-License-Identifier: GPL-2.0-only
// Finding the target's own virtio/9p/overlay modules: built-ins skipped, compressed ones
// unpacked, dependencies pulled in and loaded first.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { test } from "node:test";
import { UserError } from "../../../src/errors/user-error.ts";
import { collectGuestModules, dependsOf, loadOrder, moduleNameOf } from "../../../src/vm/kernel-modules.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { DEBIAN_LIKE, fakeKo, writeFakeModulesDir } from "./fake-modules.ts";

test("module names: suffixes dropped, '-' read as '_'", () => {
  assert.equal(moduleNameOf("kernel/fs/9p/9p.ko"), "9p");
  assert.equal(moduleNameOf("kernel/x/foo-bar.ko.xz"), "foo_bar");
  assert.equal(moduleNameOf("a/b.ko.zst"), "b");
});

test("depends= is read from the modinfo strings", () => {
  assert.deepEqual(dependsOf(fakeKo("9p", ["9pnet", "fscache", "netfs"])), ["9pnet", "fscache", "netfs"]);
  assert.deepEqual(dependsOf(fakeKo("overlay")), []);
  assert.deepEqual(dependsOf(Buffer.from("no modinfo here")), []);
});

test("load order puts dependencies first", () => {
  const mods = new Map(
    [
      ["c", ["b"]],
      ["b", ["a"]],
      ["a", []],
    ].map(([name, depends]) => [
      name as string,
      { name: name as string, path: "", depends: depends as string[] },
    ]),
  );
  assert.deepEqual(
    loadOrder(mods).map((m) => m.name),
    ["a", "b", "c"],
  );
});

test("collects the needed modules of a Debian-like tree in a loadable order", async () => {
  const dir = scratchDir("hotpatch-mods");
  try {
    writeFakeModulesDir(dir);
    const modules = await collectGuestModules(dir);
    const names = modules.map((m) => m.name);
    assert.deepEqual(
      new Set(names),
      new Set([
        "virtio",
        "virtio_ring",
        "virtio_pci_modern_dev",
        "virtio_pci",
        "netfs",
        "fscache",
        "9pnet",
        "9pnet_virtio",
        "9p",
        "overlay",
        "virtio_console",
      ]),
    );
    assert.ok(!names.includes("virtio_pci_legacy_dev"), "built-in modules are not loaded");
    assert.ok(!names.includes("unrelated"));
    for (const module of modules) {
      for (const dep of module.depends) {
        if (dep === "virtio_pci_legacy_dev") continue;
        assert.ok(names.indexOf(dep) < names.indexOf(module.name), `${dep} before ${module.name}`);
      }
    }
    const fscache = modules.find((m) => m.name === "fscache");
    assert.ok(fscache?.path.endsWith(".ko.xz"));
    assert.deepEqual(
      Buffer.from(fscache?.bytes ?? []),
      fakeKo("fscache", ["netfs"]),
      "xz modules are decompressed",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a missing module is a UserError naming it", async () => {
  const dir = scratchDir("hotpatch-mods");
  try {
    writeFakeModulesDir(
      dir,
      DEBIAN_LIKE.filter((m) => !m.path.endsWith("/overlay.ko")),
    );
    await assert.rejects(
      collectGuestModules(dir),
      (error: Error) => error instanceof UserError && /'overlay'/.test(error.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
