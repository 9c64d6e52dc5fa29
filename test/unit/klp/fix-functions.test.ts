// SPDX-License-Identifier: GPL-2.0-only
// Functions a fix touches, from its hunks and the pristine source (used only to explain changes).
import assert from "node:assert/strict";
import { test } from "node:test";
import { enclosingFunction, touchedLines } from "../../../src/klp/fix-functions.ts";

const source = [
  "#include <x.h>", // 1
  "static int helper(int a)", // 2
  "{", // 3
  "\treturn a + 1;", // 4
  "}", // 5
  "", // 6
  "int caller(int b) {", // 7
  "\tint c = helper(b);", // 8
  "\treturn c;", // 9
  "}", // 10
  "static int table[] = { 1, 2 };", // 11
  "unsigned int", // 12
  "xfs_agfl_size(", // 13: the name alone at the start of the line, its type above
  "\tstruct xfs_mount\t*mp)", // 14
  "{", // 15
  "\treturn mp->size;", // 16
  "}", // 17
];

test("the enclosing function of a line, or none outside functions", () => {
  assert.equal(enclosingFunction(source, 4), "helper");
  assert.equal(enclosingFunction(source, 9), "caller");
  assert.equal(enclosingFunction(source, 11), undefined);
  assert.equal(enclosingFunction(source, 1), undefined);
  assert.equal(enclosingFunction(source, 16), "xfs_agfl_size");
});

test("old-side line numbers of removed lines and insertion points, per file", () => {
  const fix = [
    "--- a/x.c",
    "+++ b/x.c",
    "@@ -3,3 +3,4 @@",
    " {",
    "-\treturn a + 1;",
    "+\treturn a + 2;",
    "+\t/* more */",
    " }",
    "",
  ].join("\n");
  assert.deepEqual([...touchedLines(fix)], [["x.c", [4, 4, 4]]]);
  // quilt's -p1 prefix, a pure insertion after old line 8, and a format-patch signature that
  // is not part of the hunk.
  const quilt = ["--- linux.orig/y.c", "+++ linux/y.c", "@@ -8,0 +9,2 @@", "+a;", "+b;", "-- ", "2.39.2", ""];
  assert.deepEqual([...touchedLines(quilt.join("\n"))], [["y.c", [8, 8]]]);
});
