// SPDX-License-Identifier: GPL-2.0-only
// changeNames (src/update/names.ts): which names a C file's change defines (only those new to
// its side; in a .c file only what has external linkage; in a header also members added to a
// struct that exists on both sides) and which it uses, on the added and the removed side.
import assert from "node:assert/strict";
import { test } from "node:test";
import { changeNames } from "../../../src/update/names.ts";

const sorted = (s: Iterable<string>) => [...s].sort();

const oldHeader = [
  "#ifndef W_H", // 1
  "#define W_H", // 2
  "/* widget_twice() is for later */", // 3
  "struct widget {", // 4
  "\tint a;", // 5
  "};", // 6
  "int old_api(void);", // 7
  "#endif", // 8
  "",
].join("\n");

const newHeader = [
  "#ifndef W_H", // 1
  "#define W_H", // 2
  "/* widget_twice() is for later */", // 3
  "struct widget {", // 4
  "\tint a;", // 5
  "\tint b;", // 6 added member of an existing struct
  "};", // 7
  "struct gadget {", // 8 a new struct: its member comes with it
  "\tint g;", // 9
  "};", // 10
  "static inline int widget_twice(int x) { return 2 * x; }", // 11
  "#define WIDGET_MAX 4", // 12
  "DEFINE_MUTEX(widget_lock);", // 13 a macro call: defines nothing the scanner can name
  "#endif", // 14
  "",
].join("\n");

test("a header's added lines define a new inline, a macro, a new struct and a member added to an existing struct", () => {
  const names = changeNames("include/linux/widget.h", oldHeader, newHeader, {
    old: [7],
    new: [6, 8, 9, 10, 11, 12, 13],
  });
  // widget_twice is named in a comment on the old side, which does not count as having it.
  assert.deepEqual(sorted(names.added.defines), ["WIDGET_MAX", "gadget", "widget_twice"]);
  assert.deepEqual([...names.added.members], [["b", ["widget"]]]);
  assert.equal(names.added.uses.has("widget_lock"), true);
  assert.equal(names.added.uses.has("x"), true);
  assert.deepEqual([...names.added.memberUses], []);
  // The removed side deletes old_api: the new side lacks it.
  assert.deepEqual(sorted(names.removed.defines), ["old_api"]);
  assert.deepEqual([...names.removed.members], []);
  assert.deepEqual(sorted(names.removed.uses), ["int", "old_api", "void"]);
});

test("`all` is every identifier of the side's whole text, comments left out", () => {
  const names = changeNames("include/linux/widget.h", oldHeader, newHeader, { old: [], new: [6] });
  assert.equal(names.added.all.has("gadget"), true);
  assert.equal(names.removed.all.has("gadget"), false);
  assert.equal(names.removed.all.has("old_api"), true);
  // "widget_twice" and "later" appear only in a comment of the old text.
  assert.equal(names.removed.all.has("widget_twice"), false);
  assert.equal(names.removed.all.has("later"), false);
});

test("a name the other side already has is not defined (a changed line of an existing construct)", () => {
  const oldText = "#ifndef W_H\nint widget_count(void);\n#endif\n";
  const newText = "#ifndef W_H\nint widget_count(int all);\n#endif\n";
  const names = changeNames("include/linux/widget.h", oldText, newText, { old: [2], new: [2] });
  assert.deepEqual([...names.added.defines], []);
  assert.deepEqual([...names.removed.defines], []);
  assert.deepEqual(sorted(names.added.uses), ["all", "int", "widget_count"]);
});

test("a .c file defines only what has external linkage", () => {
  const oldText = "static int helper(void) { return 0; }\nint g(void) { return helper(); }\n";
  const newText = [
    "static int helper(void) { return 0; }", // 1
    "static int helper2(void) { return 1; }", // 2 static: its own
    "int exported_new(void) { return 2; }", // 3 external linkage
    "int exported_var;", // 4 external linkage
    "static int private_var;", // 5
    "struct local_type { int z; };", // 6 a type: its own
    "#define LOCAL_MACRO 1", // 7 a macro: its own
    "int g(void) { return helper(); }", // 8
    "",
  ].join("\n");
  const names = changeNames("drivers/widget/core.c", oldText, newText, {
    old: [],
    new: [2, 3, 4, 5, 6, 7],
  });
  assert.deepEqual(sorted(names.added.defines), ["exported_new", "exported_var"]);
  assert.deepEqual([...names.added.members], []);
  assert.equal(names.added.uses.has("helper2"), true);
  assert.equal(names.added.uses.has("LOCAL_MACRO"), true);
});

test("uses are the identifiers of the changed lines only; memberUses those after `.` or `->`", () => {
  const oldText = "int f(struct widget *w)\n{\n\treturn 0;\n}\n";
  const newText = "int f(struct widget *w)\n{\n\treturn widget_twice(w->b) + s.c; /* not_a_use */\n}\n";
  const names = changeNames("drivers/widget/core.c", oldText, newText, { old: [3], new: [3] });
  assert.deepEqual(sorted(names.added.uses), ["b", "c", "return", "s", "w", "widget_twice"]);
  assert.deepEqual(sorted(names.added.memberUses), ["b", "c"]);
  assert.deepEqual(sorted(names.removed.uses), ["return"]);
  assert.deepEqual([...names.added.defines], []);
  // The unchanged first line names the struct: `all` has it (the member rule reads it).
  assert.equal(names.added.all.has("widget"), true);
  assert.equal(names.added.all.has("not_a_use"), false);
});

test("a .c change that stops calling a function: the call's names are uses of the removed side", () => {
  const oldText = "void f(void)\n{\n\told_api();\n}\n";
  const newText = "void f(void)\n{\n}\n";
  const names = changeNames("drivers/widget/core.c", oldText, newText, { old: [3], new: [] });
  assert.deepEqual([...names.removed.uses], ["old_api"]);
  assert.deepEqual([...names.added.uses], []);
  assert.deepEqual([...names.removed.defines], []);
});

test("no changed lines: nothing defined or used", () => {
  const names = changeNames("include/linux/widget.h", oldHeader, newHeader, { old: [], new: [] });
  for (const side of [names.added, names.removed]) {
    assert.equal(side.defines.size, 0);
    assert.equal(side.members.size, 0);
    assert.equal(side.uses.size, 0);
    assert.equal(side.memberUses.size, 0);
  }
});

test("a function whose name is a prefix of its line's first word is still defined (int in(void);)", () => {
  const before = "#ifndef S_H\n#define S_H\n#endif\n";
  const after = [
    "#ifndef S_H",
    "#define S_H",
    "int in(void);",
    "static inline int st(int x) { return x; }",
    "unsigned un(void);",
    "#endif",
    "",
  ].join("\n");
  const names = changeNames("include/linux/s.h", before, after, { old: [], new: [3, 4, 5] });
  assert.deepEqual(sorted(names.added.defines), ["in", "st", "un"]);
});
