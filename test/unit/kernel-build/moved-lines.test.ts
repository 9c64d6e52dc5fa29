// SPDX-License-Identifier: GPL-2.0-only
// Where a fix moves the unchanged lines of a file (hunks.ts lineMover), and which moved lines
// can be a __LINE__ (moved-lines.ts): the differ's evidence for "only a line number changed".
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { lineMover } from "../../../src/kernel/hunks.ts";
import { movedLinesOf } from "../../../src/kernel/moved-lines.ts";
import { scratchDir } from "../../helpers/scratch.ts";

// Old file: 12 lines. Hunk 1 replaces line 3 by two lines (+1 from line 4 on); hunk 2 inserts
// two lines after line 8 (-8,0 form: +3 from line 9 on); line 10 is removed (+3 ... then 11 -> 13).
const FIX = `--- a/fs/x.c
+++ b/fs/x.c
@@ -2,3 +2,4 @@
 two
-three
+three a
+three b
 four
@@ -8,0 +9,2 @@
+added 1
+added 2
@@ -9,3 +12,2 @@
 nine
-ten
 eleven
`;

test("lineMover: unchanged lines move by what the hunks above them add or remove", () => {
  const move = lineMover(FIX, "fs/x.c");
  assert.equal(move(1), 1, "above every hunk");
  assert.equal(move(2), 2, "context of hunk 1");
  assert.equal(move(3), undefined, "removed");
  assert.equal(move(4), 5, "context after the replacement");
  assert.equal(move(6), 7, "between hunks");
  assert.equal(move(8), 9, "the line the insertion follows");
  assert.equal(move(9), 12, "after the pure insertion");
  assert.equal(move(10), undefined, "removed");
  assert.equal(move(11), 13);
  assert.equal(move(40), 42, "below every hunk");
  assert.equal(lineMover(FIX, "fs/other.c")(7), 7, "a file the fix does not touch");
});

const tree = scratchDir("hotpatch-moved");
after(() => rmSync(tree, { recursive: true, force: true }));

test("movedLinesOf: a moved call site is a moved line; includes, braces, comments and edited lines are not", () => {
  mkdirSync(join(tree, "fs"), { recursive: true });
  const source = [
    "#include <linux/fs.h>", // 1
    "static int f(void)", // 2
    "three", // 3 (the fix replaces it)
    "{", // 4
    "\tXFS_ERROR_REPORT(mp, 1);", // 5
    "\t/* a comment */", // 6
    "\treturn g(a,", // 7
    "\t\t __LINE__);", // 8
    "nine", // 9
    "ten", // 10
    "}", // 11
    "", // 12
  ];
  writeFileSync(join(tree, "fs", "x.c"), source.join("\n"));
  const moved = movedLinesOf(FIX, tree);
  assert.equal(moved(5, 6), true, "a macro call");
  assert.equal(moved(7, 8), true, "a function call");
  assert.equal(moved(8, 9), true, "a line holding __LINE__ itself");
  assert.equal(moved(5, 7), false, "moved elsewhere");
  assert.equal(moved(1, 1), false, "not moved");
  assert.equal(moved(4, 5), false, "a brace");
  assert.equal(moved(6, 7), false, "a comment");
  assert.equal(moved(3, 4), false, "a line the fix replaced");
});

test("a fix that changes a #define or an enum moves no line: a changed constant could pass for one", () => {
  const withDefine = FIX.replace("+added 1", "+#define LIMIT 17");
  assert.equal(movedLinesOf(withDefine, tree)(5, 6), false);
  assert.equal(movedLinesOf(FIX.replace("+added 1", "+\tSTATE_NEW = 4,"), tree)(5, 6), false);
  assert.equal(movedLinesOf(FIX.replace("+added 1", "+enum x { A };"), tree)(5, 6), false);
  assert.equal(movedLinesOf(FIX, tree)(5, 6), true, "the same fix without them");
});
