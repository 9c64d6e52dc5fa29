// SPDX-License-Identifier: GPL-2.0-only
// Applying a fix to a symlink scratch view: the tree is never written, errors name the hunk.
import assert from "node:assert/strict";
import { lstatSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { UserError } from "../../../src/errors/user-error.ts";
import {
  applyFix,
  createScratchView,
  describePatchFailure,
  refreshScratchView,
  touchedFiles,
} from "../../../src/kernel/fix.ts";
import { scratchDir } from "../../helpers/scratch.ts";

const root = scratchDir("hotpatch-fix");

function makeTree(): string {
  const tree = join(root, `tree-${Math.random().toString(36).slice(2)}`);
  mkdirSync(join(tree, "net/unix"), { recursive: true });
  mkdirSync(join(tree, "include/linux"), { recursive: true });
  writeFileSync(join(tree, "net/unix/af_unix.c"), "int a(void)\n{\n\treturn 1;\n}\n");
  writeFileSync(join(tree, "net/unix/garbage.c"), "int g;\n");
  writeFileSync(join(tree, "net/Makefile"), "obj-y += unix/\n");
  writeFileSync(join(tree, "include/linux/x.h"), "#define X 1\n");
  writeFileSync(join(tree, "Makefile"), "all:\n");
  return tree;
}

const GOOD = [
  "--- a/net/unix/af_unix.c",
  "+++ b/net/unix/af_unix.c",
  "@@ -1,4 +1,4 @@",
  " int a(void)",
  " {",
  "-\treturn 1;",
  "+\treturn 2;",
  " }",
  "",
].join("\n");

test("touchedFiles: -p1 paths, created and deleted files, no duplicates, sections counted", () => {
  const text = [
    GOOD,
    "--- /dev/null",
    "+++ b/net/unix/new.c",
    "@@ -0,0 +1 @@",
    "+int n;",
    "--- a/net/unix/old.c",
    "+++ /dev/null",
    "@@ -1 +0,0 @@",
    "-int o;",
    GOOD,
  ].join("\n");
  assert.deepEqual(touchedFiles(text), [
    { path: "net/unix/af_unix.c", created: false, deleted: false, sections: 2 },
    { path: "net/unix/new.c", created: true, deleted: false, sections: 1 },
    { path: "net/unix/old.c", created: false, deleted: true, sections: 1 },
  ]);
  assert.throws(() => touchedFiles("--- a/../etc/passwd\n+++ b/../etc/passwd\n@@ -1 +1 @@\n"), UserError);
});

test("scratch view: real directories along touched paths, symlinks elsewhere, touched files copied", () => {
  const tree = makeTree();
  const view = join(root, "view1");
  createScratchView(tree, view, ["net/unix/af_unix.c"]);
  assert.ok(lstatSync(join(view, "net")).isDirectory() && !lstatSync(join(view, "net")).isSymbolicLink());
  assert.ok(lstatSync(join(view, "net/unix")).isDirectory());
  assert.ok(lstatSync(join(view, "include")).isSymbolicLink());
  assert.equal(readlinkSync(join(view, "include")), join(tree, "include"));
  assert.ok(lstatSync(join(view, "net/Makefile")).isSymbolicLink());
  assert.ok(lstatSync(join(view, "net/unix/garbage.c")).isSymbolicLink());
  assert.ok(lstatSync(join(view, "net/unix/af_unix.c")).isFile());
  assert.ok(!lstatSync(join(view, "net/unix/af_unix.c")).isSymbolicLink());
});

test("applyFix changes the view only, never the tree", async () => {
  const tree = makeTree();
  const view = join(root, "view2");
  createScratchView(tree, view, ["net/unix/af_unix.c"]);
  const fix = join(root, "good.patch");
  writeFileSync(fix, GOOD);
  await applyFix(view, fix);
  assert.match(readFileSync(join(view, "net/unix/af_unix.c"), "utf8"), /return 2;/);
  assert.match(readFileSync(join(tree, "net/unix/af_unix.c"), "utf8"), /return 1;/);
});

test("a fix that does not apply is a UserError naming the file and the hunk", async () => {
  const tree = makeTree();
  const view = join(root, "view3");
  createScratchView(tree, view, ["net/unix/af_unix.c"]);
  const fix = join(root, "bad.patch");
  writeFileSync(fix, GOOD.replace("-\treturn 1;", "-\treturn 7;"));
  await assert.rejects(applyFix(view, fix), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /hunk #1 of net\/unix\/af_unix\.c does not apply/);
    return true;
  });
  assert.match(readFileSync(join(tree, "net/unix/af_unix.c"), "utf8"), /return 1;/);
});

test("describePatchFailure: missing file and already-applied fixes", () => {
  assert.match(describePatchFailure("can't find file to patch at input line 3\n"), /does not exist/);
  assert.match(
    describePatchFailure(
      "checking file net/x.c\nReversed (or previously applied) patch detected!  Skipping patch.\n",
    ),
    /net\/x\.c already contains this change/,
  );
});

test("refreshScratchView: files the pristine make generates later (an .asn1.h beside the source) appear in the view", () => {
  const tree = makeTree();
  const view = join(root, `view-${Math.random().toString(36).slice(2)}`);
  createScratchView(tree, view, ["net/unix/af_unix.c"]);
  writeFileSync(join(tree, "net/unix/params.asn1.h"), "#define P 1\n");
  writeFileSync(join(tree, "generated-top"), "x\n");
  writeFileSync(join(view, "net/unix/af_unix.c"), "int a(void) { return 2; }\n");
  refreshScratchView(view);
  assert.equal(readlinkSync(join(view, "net/unix/params.asn1.h")), join(tree, "net/unix/params.asn1.h"));
  assert.equal(readlinkSync(join(view, "generated-top")), join(tree, "generated-top"));
  assert.ok(lstatSync(join(view, "net/unix/af_unix.c")).isFile(), "the fixed copy stays a real file");
  assert.match(readFileSync(join(view, "net/unix/af_unix.c"), "utf8"), /return 2/);
  refreshScratchView(view); // idempotent
});
