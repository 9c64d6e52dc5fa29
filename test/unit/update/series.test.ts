// SPDX-License-Identifier: GPL-2.0-only
// series.ts: patch names (`NNN-<first path>.patch`, at least three digits), the quilt series
// written with its `#` header, and unifiedDiffs' -p1 diffs per file (a/ b/ labels, /dev/null
// for a created or deleted side, binary files as undefined, an empty created file absent).
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { changedLines } from "../../../src/kernel/hunks.ts";
import { patchName, unifiedDiffs, writeSeries } from "../../../src/update/series.ts";
import { scratchDir } from "../../helpers/scratch.ts";

function writeTree(root: string, files: Record<string, string | Buffer>): void {
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), data);
  }
}

test("patchName: numbered from 1, at least three digits, slashes as dashes", () => {
  assert.equal(patchName(0, 1, "net/unix/af_unix.c"), "001-net-unix-af_unix.c.patch");
  assert.equal(patchName(9, 12, "include/linux/skbuff.h"), "010-include-linux-skbuff.h.patch");
  assert.equal(patchName(0, 1000, "a.c"), "0001-a.c.patch");
  assert.equal(patchName(999, 1000, "x/y.c"), "1000-x-y.c.patch");
});

test("writeSeries writes each patch and a series listing them after the # header", () => {
  const dir = join(scratchDir("series"), "out", "nested");
  const series = writeSeries(
    dir,
    [
      { name: "001-a.c.patch", text: "patch one\n" },
      { name: "002-b.c.patch", text: "patch two\n" },
    ],
    ["update from A to B", "second line"],
  );
  assert.equal(series, `${dir}/series`);
  assert.equal(
    readFileSync(series, "utf8"),
    "# update from A to B\n# second line\n001-a.c.patch\n002-b.c.patch\n",
  );
  assert.equal(readFileSync(join(dir, "001-a.c.patch"), "utf8"), "patch one\n");
  assert.equal(readFileSync(join(dir, "002-b.c.patch"), "utf8"), "patch two\n");
  // No scratch file of the atomic writes is left behind.
  assert.deepEqual(readdirSync(dir).sort(), ["001-a.c.patch", "002-b.c.patch", "series"]);
});

test("unifiedDiffs: one -p1 diff per changed file, binary as undefined, an empty created file absent", async () => {
  const oldRoot = scratchDir("diff-old");
  const newRoot = scratchDir("diff-new");
  writeTree(oldRoot, {
    "drivers/a.c": "int a;\nint b = 1;\nint c;\n",
    "drivers/gone.c": "int gone;\n",
    "drivers/same.c": "int same;\n",
    "fw/blob.bin": Buffer.from([0, 1, 2, 3]),
    "drivers/tail.c": "int t;\n",
  });
  writeTree(newRoot, {
    "drivers/a.c": "int a;\nint b = 2;\nint c;\n",
    "drivers/same.c": "int same;\n",
    "drivers/new/born.c": "int born;\n",
    "drivers/new/empty.c": "",
    "fw/blob.bin": Buffer.from([0, 1, 2, 4]),
    "drivers/tail.c": "int t;\nint u;",
  });
  const work = scratchDir("diff-work");
  const scratch = join(work, "diff");
  const diffs = await unifiedDiffs(
    oldRoot,
    newRoot,
    [
      { path: "drivers/a.c", status: "modified" },
      { path: "drivers/gone.c", status: "deleted" },
      { path: "drivers/new/born.c", status: "created" },
      { path: "drivers/new/empty.c", status: "created" },
      { path: "drivers/tail.c", status: "modified" },
      { path: "fw/blob.bin", status: "modified" },
    ],
    scratch,
  );
  assert.deepEqual([...diffs.keys()].sort(), [
    "drivers/a.c",
    "drivers/gone.c",
    "drivers/new/born.c",
    "drivers/tail.c",
    "fw/blob.bin",
  ]);
  assert.equal(diffs.has("fw/blob.bin"), true);
  assert.equal(diffs.get("fw/blob.bin"), undefined);
  assert.equal(
    diffs.get("drivers/a.c"),
    "--- a/drivers/a.c\n+++ b/drivers/a.c\n@@ -1,3 +1,3 @@\n int a;\n-int b = 1;\n+int b = 2;\n int c;\n",
  );
  assert.equal(
    diffs.get("drivers/gone.c"),
    "--- a/drivers/gone.c\n+++ /dev/null\n@@ -1 +0,0 @@\n-int gone;\n",
  );
  assert.equal(
    diffs.get("drivers/new/born.c"),
    "--- /dev/null\n+++ b/drivers/new/born.c\n@@ -0,0 +1 @@\n+int born;\n",
  );
  assert.equal(
    diffs.get("drivers/tail.c"),
    "--- a/drivers/tail.c\n+++ b/drivers/tail.c\n@@ -1 +1,2 @@\n int t;\n+int u;\n\\ No newline at end of file\n",
  );
  // The diffs read back as the build reads a fix's hunks.
  assert.deepEqual(changedLines(diffs.get("drivers/a.c") as string, "drivers/a.c"), { old: [2], new: [2] });
  // The link views are removed.
  assert.equal(existsSync(scratch), false);
});

test("unifiedDiffs without GNU diff on PATH: a sentence naming the package", async () => {
  const oldRoot = scratchDir("diff-old");
  const newRoot = scratchDir("diff-new");
  writeTree(oldRoot, { "a.c": "1\n" });
  writeTree(newRoot, { "a.c": "2\n" });
  const path = process.env.PATH;
  process.env.PATH = scratchDir("empty-path");
  try {
    await assert.rejects(
      unifiedDiffs(oldRoot, newRoot, [{ path: "a.c", status: "modified" }], join(scratchDir("w"), "diff")),
      { name: "UserError", message: "diff is not installed: install it with 'apt-get install diffutils'." },
    );
  } finally {
    process.env.PATH = path;
  }
});
