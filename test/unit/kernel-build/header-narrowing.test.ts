// SPDX-License-Identifier: GPL-2.0-only
// Header fixes that change only static inline bodies (header-scope.ts): the units are narrowed
// to the files that can call the inline (directly or through another header), on a small fake
// tree.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { headerCodeNames, usersOfCodeNames } from "../../../src/kernel/header-scope.ts";
import { headerUsers, scanIncludes } from "../../../src/kernel/includes.ts";
import { scratchDir } from "../../helpers/scratch.ts";

const tree = scratchDir("hotpatch-inlines");

const files: Record<string, string> = {
  "include/linux/widget.h": [
    "#ifndef W_H", // 1
    "#define W_H", // 2
    "struct widget { int a; };", // 3
    "static inline void widget_init(struct widget *w)", // 4
    "{", // 5
    "\tw->a = 0;", // 6
    "}", // 7
    "#endif", // 8
  ].join("\n"),
  "include/linux/gadget.h":
    "#include <linux/widget.h>\nstatic inline void gadget_setup(struct widget *w) { widget_init(w); }\n",
  "include/linux/big.h":
    "#include <linux/widget.h>\nstatic inline void big_setup(struct widget *w)\n{\n\twidget_init(w);\n}\n",
  "drivers/a.c": "#include <linux/big.h>\nvoid a(struct widget *w) { big_setup(w); }\n",
  "drivers/b.c": "#include <linux/big.h>\nint b(void) { return 1; }\n",
  "drivers/c.c": "#include <linux/gadget.h>\nvoid c(struct widget *w) { gadget_setup(w); }\n",
  "include/linux/macro.h": "#include <linux/widget.h>\n#define MACRO_SETUP(w) widget_init(w)\n",
  "include/linux/proto.h":
    "#include <linux/widget.h>\n/* widget_init() is in widget.h */\nvoid widget_init(struct widget *w);\n",
  "drivers/d.c": "#include <linux/macro.h>\nint d(void) { return 0; }\n",
  "drivers/e.c": "#include <linux/proto.h>\nint e(void) { return 0; }\n",
};
for (const [path, text] of Object.entries(files)) {
  mkdirSync(dirname(join(tree, path)), { recursive: true });
  writeFileSync(join(tree, path), text);
}

const fixFor = (oldStart: number, body: string) =>
  `--- a/include/linux/widget.h\n+++ b/include/linux/widget.h\n@@ -${oldStart},3 +${oldStart},4 @@\n${body}`;

test("a change inside a static inline body names that inline", () => {
  const fix = fixFor(5, " {\n \tw->a = 0;\n+\tw->b = 0;\n }\n");
  assert.deepEqual(headerCodeNames(tree, "include/linux/widget.h", fix), ["widget_init"]);
});

test("a change outside any inline body (a struct) is not narrowed", () => {
  const fix = fixFor(
    2,
    " #define W_H\n-struct widget { int a; };\n+struct widget { int a; int b; };\n static inline void widget_init(struct widget *w)\n",
  );
  assert.equal(headerCodeNames(tree, "include/linux/widget.h", fix), undefined);
});

test("users narrowed to callers, through another header's inline or a macro-like use; an includer that calls neither is left out", () => {
  const index = scanIncludes(tree);
  const users = headerUsers(index, "include/linux/widget.h");
  assert.deepEqual(users, ["drivers/a.c", "drivers/b.c", "drivers/c.c", "drivers/d.c", "drivers/e.c"]);
  // d.c includes a header whose macro uses the inline (kept whole); e.c only sees a prototype
  // and a comment naming it.
  assert.deepEqual(usersOfCodeNames(tree, index, "include/linux/widget.h", users, ["widget_init"]), [
    "drivers/a.c",
    "drivers/c.c",
    "drivers/d.c",
  ]);
});
