// SPDX-License-Identifier: GPL-2.0-only
// tree-diff.ts: isBuildOutput tells kbuild's outputs from source, listSourceFiles lists a
// tree's regular source files (no .git, no outputs, no symlinks), and compareTrees reports
// modified (by size or by bytes), created and deleted files, sorted by path.
import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { compareTrees, isBuildOutput, listSourceFiles } from "../../../src/update/tree-diff.ts";
import { scratchDir } from "../../helpers/scratch.ts";

function writeTree(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

test("isBuildOutput: kbuild's outputs", () => {
  for (const path of [
    "drivers/net/.foo.o.cmd",
    "drivers/net/.foo.o.d",
    "drivers/net/.tmp_foo.tmp",
    "drivers/net/foo.o",
    "drivers/net/foo.ko",
    "lib/lib.a",
    "drivers/net/foo.mod",
    "drivers/net/foo.mod.c",
    "modules.order",
    "Module.symvers",
    "drivers/net/foo.i",
    "drivers/net/foo.lst",
    "arch/arm64/boot/dts/x.dtb",
    ".config",
    ".config.old",
    ".version",
    ".tmp_vmlinux.kallsyms1",
    "vmlinux",
    "System.map",
    "modules.builtin.modinfo",
    "include/generated/autoconf.h",
    "include/config/auto.conf",
    "arch/x86/include/generated/asm/syscalls_64.h",
  ])
    assert.equal(isBuildOutput(path), true, path);
});

test("isBuildOutput: source files, even with names close to outputs", () => {
  for (const path of [
    "drivers/net/foo.c",
    "drivers/net/foo.h",
    "arch/x86/kernel/vmlinux.lds.S",
    "arch/x86/kernel/entry.S",
    "include/linux/configfs.h",
    "include/linux/config.h",
    "arch/x86/include/asm/generated.h",
    "arch/x86/include/asm/page.h",
    "drivers/net/Makefile",
    "drivers/net/Kconfig",
    "scripts/mod/modpost.c",
    ".gitignore",
    "drivers/net/.gitignore",
  ])
    assert.equal(isBuildOutput(path), false, path);
});

test("listSourceFiles lists regular source files only", () => {
  const root = scratchDir("tree-list");
  writeTree(root, {
    Makefile: "all:\n",
    "drivers/a.c": "int a;\n",
    "drivers/.a.o.cmd": "cmd\n",
    "drivers/a.o": "ELF\n",
    "include/linux/a.h": "#define A\n",
    "include/generated/autoconf.h": "#define CONFIG_X 1\n",
    ".git/HEAD": "ref: refs/heads/main\n",
    ".config": "CONFIG_X=y\n",
  });
  symlinkSync("a.c", join(root, "drivers/link.c"));
  assert.deepEqual(listSourceFiles(root).sort(), ["Makefile", "drivers/a.c", "include/linux/a.h"]);
});

test("compareTrees: modified by size or by bytes, created, deleted; equal files and old-side symlinks left out", () => {
  const oldRoot = scratchDir("tree-old");
  const newRoot = scratchDir("tree-new");
  writeTree(oldRoot, {
    "same.c": "int same;\n",
    "grown.c": "int x;\n",
    "flipped.c": "int a = 1;\n",
    "gone.c": "int gone;\n",
    "sub/old-only.h": "#define OLD\n",
  });
  symlinkSync("same.c", join(oldRoot, "link.c"));
  writeTree(newRoot, {
    "same.c": "int same;\n",
    "grown.c": "int x, y;\n",
    "flipped.c": "int a = 2;\n",
    "new/dir/born.c": "int born;\n",
  });
  const oldFiles = ["same.c", "grown.c", "flipped.c", "gone.c", "sub/old-only.h", "link.c"];
  const newFiles = ["same.c", "grown.c", "flipped.c", "new/dir/born.c"];
  assert.deepEqual(compareTrees(oldRoot, oldFiles, newRoot, newFiles), [
    { path: "flipped.c", status: "modified" },
    { path: "gone.c", status: "deleted" },
    { path: "grown.c", status: "modified" },
    { path: "new/dir/born.c", status: "created" },
    { path: "sub/old-only.h", status: "deleted" },
  ]);
});

test("compareTrees compares only the listed files", () => {
  const oldRoot = scratchDir("tree-old");
  const newRoot = scratchDir("tree-new");
  writeTree(oldRoot, { "a.c": "1\n", "unlisted.c": "old\n" });
  writeTree(newRoot, { "a.c": "2\n", "unlisted.c": "new\n" });
  assert.deepEqual(compareTrees(oldRoot, ["a.c"], newRoot, ["a.c"]), [{ path: "a.c", status: "modified" }]);
  // Listed on the old side only (a file the target's tarball has and the newer tree lacks).
  assert.deepEqual(compareTrees(oldRoot, ["a.c", "unlisted.c"], newRoot, ["a.c"]), [
    { path: "a.c", status: "modified" },
    { path: "unlisted.c", status: "deleted" },
  ]);
});
