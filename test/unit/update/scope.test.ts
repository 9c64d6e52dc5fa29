// SPDX-License-Identifier: GPL-2.0-only
// scope.ts with a crafted configuration lookup: files outside any kernel image are left out
// without asking it, units and assembly files by their object's state, headers kept except in
// another architecture's arch/, Makefiles and other files by their directory's state.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ConfigState } from "../../../src/kernel/units.ts";
import { type ConfigLookup, outOfScope, scopeChanges } from "../../../src/update/scope.ts";

/** A lookup answering from tables (anything else: "y"), recording what it was asked. */
function lookupOf(units: Record<string, ConfigState>, dirs: Record<string, ConfigState> = {}) {
  const asked: string[] = [];
  const lookup: ConfigLookup = {
    unit: (object) => {
      asked.push(`unit ${object}`);
      return units[object] ?? "y";
    },
    directory: (dir) => {
      asked.push(`dir ${dir}`);
      return dirs[dir] ?? "y";
    },
  };
  return { lookup, asked };
}

test("files outside any kernel image: outside-kernel, without asking the configuration", () => {
  const { lookup, asked } = lookupOf({});
  for (const path of [
    "Documentation/networking/af_unix.rst",
    "tools/perf/builtin-top.c",
    "scripts/mod/modpost.c",
    "MAINTAINERS",
    "drivers/net/bindings.yaml",
  ])
    assert.equal(outOfScope(path, lookup), "outside-kernel", path);
  assert.deepEqual(asked, []);
});

test("a C unit is not-built only when its object's state is n", () => {
  const { lookup, asked } = lookupOf({
    "drivers/off/off.o": "n",
    "drivers/mod/mod.o": "m",
    "drivers/unk/unk.o": "unknown",
  });
  assert.equal(outOfScope("drivers/off/off.c", lookup), "not-built");
  assert.equal(outOfScope("drivers/mod/mod.c", lookup), undefined);
  assert.equal(outOfScope("drivers/unk/unk.c", lookup), undefined);
  assert.equal(outOfScope("net/unix/af_unix.c", lookup), undefined);
  assert.deepEqual(asked, [
    "unit drivers/off/off.o",
    "unit drivers/mod/mod.o",
    "unit drivers/unk/unk.o",
    "unit net/unix/af_unix.o",
  ]);
});

test("an assembly file is judged by its object", () => {
  const { lookup, asked } = lookupOf({ "arch/x86/crypto/off.o": "n" });
  assert.equal(outOfScope("arch/x86/crypto/off.S", lookup), "not-built");
  assert.equal(outOfScope("arch/x86/entry/entry_64.S", lookup), undefined);
  assert.deepEqual(asked, ["unit arch/x86/crypto/off.o", "unit arch/x86/entry/entry_64.o"]);
});

test("headers are kept, except in another architecture's arch/ directory", () => {
  const { lookup, asked } = lookupOf({});
  assert.equal(outOfScope("include/linux/widget.h", lookup), undefined);
  assert.equal(outOfScope("drivers/off/local.h", lookup), undefined);
  assert.equal(outOfScope("arch/x86/include/asm/page.h", lookup), undefined);
  assert.equal(outOfScope("arch/arm64/include/asm/page.h", lookup), "not-built");
  assert.deepEqual(asked, []);
});

test("Makefiles, Kconfig and other files count where their directory is built", () => {
  const { lookup, asked } = lookupOf({}, { "drivers/off": "n", "drivers/unk": "unknown" });
  assert.equal(outOfScope("drivers/off/Makefile", lookup), "not-built");
  assert.equal(outOfScope("drivers/off/firmware.bin", lookup), "not-built");
  assert.equal(outOfScope("drivers/unk/Kconfig", lookup), undefined);
  assert.equal(outOfScope("drivers/on/Kbuild", lookup), undefined);
  assert.deepEqual(asked, ["dir drivers/off", "dir drivers/off", "dir drivers/unk", "dir drivers/on"]);
});

test("scopeChanges keeps each change's status and says why one is left out", () => {
  const { lookup } = lookupOf({ "drivers/off/off.o": "n" });
  const scoped = scopeChanges(
    [
      { path: "Documentation/a.rst", status: "modified" },
      { path: "drivers/off/off.c", status: "deleted" },
      { path: "drivers/on/on.c", status: "created" },
      { path: "include/linux/w.h", status: "modified" },
    ],
    lookup,
  );
  assert.deepEqual(scoped.inScope, [
    { path: "drivers/on/on.c", status: "created" },
    { path: "include/linux/w.h", status: "modified" },
  ]);
  assert.deepEqual(scoped.outOfScope, [
    { path: "Documentation/a.rst", status: "modified", scope: "outside-kernel" },
    { path: "drivers/off/off.c", status: "deleted", scope: "not-built" },
  ]);
});
