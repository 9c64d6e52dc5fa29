// SPDX-License-Identifier: GPL-2.0-only
// The fixed text renumbered to the old line numbers (hunks.ts withOldLineNumbers), checked by
// the preprocessor itself: every line the fix left unchanged expands __LINE__ to its old number.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { execa } from "execa";
import { hunksOf, withOldLineNumbers } from "../../../src/kernel/hunks.ts";
import { scratchDir } from "../../helpers/scratch.ts";

const ORIGINAL = Array.from({ length: 12 }, (_, i) => `int l${i + 1} = __LINE__;`).join("\n");

// Two lines added after line 3, line 6 removed, line 9 replaced by two lines; then a
// `git format-patch` signature, which is not part of the last hunk.
const FIX = `--- a/x.c
+++ b/x.c
@@ -3,2 +3,4 @@
 int l3 = __LINE__;
+int added1 = __LINE__;
+int added2 = __LINE__;
 int l4 = __LINE__;
@@ -6 +7,0 @@
-int l6 = __LINE__;
@@ -8,3 +9,4 @@
 int l8 = __LINE__;
-int l9 = __LINE__;
+int l9a = __LINE__;
+int l9b = __LINE__;
 int l10 = __LINE__;
-- 
2.39.2
`;

/** `name -> value` of every `int name = value;` the preprocessor prints. */
async function lineValues(text: string): Promise<Map<string, number>> {
  const file = join(scratchDir("old-lines"), "x.c");
  writeFileSync(file, text);
  const { stdout } = await execa("gcc", ["-E", "-P", file]);
  const values = new Map<string, number>();
  for (const m of stdout.matchAll(/int (\w+) = (\d+);/g)) values.set(m[1] as string, Number(m[2]));
  return values;
}

test("every unchanged line keeps its old __LINE__; added lines continue from the line before", async () => {
  const values = await lineValues(withOldLineNumbers(ORIGINAL, FIX, "x.c"));
  for (const n of [1, 2, 3, 4, 5, 7, 8, 10, 11, 12]) assert.equal(values.get(`l${n}`), n, `l${n}`);
  assert.equal(values.has("l6"), false, "the removed line is gone");
  assert.equal(values.has("l9"), false);
  assert.deepEqual([values.get("added1"), values.get("added2")], [4, 5]);
  assert.deepEqual([values.get("l9a"), values.get("l9b")], [9, 10]);
});

test("a hunk's body is as long as its header says: a format-patch signature is not a removed line", () => {
  const lines = [...hunksOf(FIX, "x.c")].flatMap((item) => ("line" in item ? [item.line] : []));
  assert.equal(lines.includes("-- "), false);
  assert.equal(lines.at(-1), " int l10 = __LINE__;");
});

test("no directive lands inside a macro continued with a backslash; the next line resyncs", async () => {
  const original = [
    "#define TWICE(x) \\",
    "\t((x) + \\",
    "\t (x))",
    "int v = TWICE(__LINE__);",
    "int w = __LINE__;",
  ].join("\n");
  const fix = [
    "--- a/m.c",
    "+++ b/m.c",
    "@@ -1,4 +1,5 @@",
    " #define TWICE(x) \\",
    " \t((x) + \\",
    "+\t 0 + \\",
    " \t (x))",
    " int v = TWICE(__LINE__);",
    "",
  ].join("\n");
  const renumbered = withOldLineNumbers(original, fix, "m.c");
  assert.doesNotMatch(renumbered, /\\\n#line/, "a directive after a backslash would join the macro");
  assert.match(renumbered, /\t \(x\)\)\n#line 4\nint v/);
  const values = await lineValues(renumbered);
  assert.equal(values.get("w"), 5);
  const compiled = await execa("gcc", ["-fsyntax-only", "-x", "c", "-"], {
    input: renumbered,
    reject: false,
  });
  assert.equal(compiled.exitCode, 0, compiled.stderr);
});
