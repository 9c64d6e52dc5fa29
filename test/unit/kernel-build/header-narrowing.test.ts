// SPDX-License-Identifier: GPL-2.0-only
// Header fixes that change only static inline bodies (header-scope.ts): the units are narrowed
// to the files that can call the inline (directly or through another header), on a small fake
// tree.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { headerChange } from "../../../src/kernel/header-scope.ts";
import {
  canPaste,
  MAX_FOLLOWED_NAMES,
  usersOfChangedNames,
  usesName,
} from "../../../src/kernel/header-users.ts";
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
  assert.deepEqual(headerChange(tree, "include/linux/widget.h", fix), {
    kind: "names",
    names: ["widget_init"],
  });
});

test("a struct change names the struct and the inlines using it", () => {
  const fix = fixFor(
    2,
    " #define W_H\n-struct widget { int a; };\n+struct widget { int a; int b; };\n static inline void widget_init(struct widget *w)\n",
  );
  assert.deepEqual(headerChange(tree, "include/linux/widget.h", fix), {
    kind: "names",
    names: ["widget", "widget_init"],
  });
});

test("users narrowed to callers, through another header's inline or macro; an includer that uses neither is left out", () => {
  const index = scanIncludes(tree);
  const users = headerUsers(index, "include/linux/widget.h");
  assert.deepEqual(users, ["drivers/a.c", "drivers/b.c", "drivers/c.c", "drivers/d.c", "drivers/e.c"]);
  // d.c includes a header whose macro calls the inline but never uses the macro; e.c only sees
  // a prototype and a comment naming it.
  const changed = [{ name: "widget_init", isFunction: true }];
  assert.deepEqual(usersOfChangedNames(tree, index, "include/linux/widget.h", users, changed), [
    "drivers/a.c",
    "drivers/c.c",
  ]);
});

test("a function is used where it is called or its address taken, not as a token in a list", () => {
  const fn = { name: "skb_helper", isFunction: true };
  assert.equal(usesName("#define MAPPER(FN) FN(skb_helper) FN(other)", fn), false);
  assert.equal(usesName("x = skb_helper (a);", fn), true);
  assert.equal(usesName("ops.cb = &skb_helper;", fn), true);
  assert.equal(usesName(".cb = skb_helper,", fn), true);
  assert.equal(usesName("#define SKB_HELPER skb_helper", { name: "skb_helper", isFunction: false }), true);
});

test("a macro that pastes a changed constant's name counts as using it", () => {
  assert.equal(
    canPaste("#define TASK_PFA_TEST(name, func) test_bit(PFA_##name, &p->atomic_flags)", "PFA_NO_NEW_PRIVS"),
    true,
  );
  assert.equal(canPaste("#define X(a) __PASTE(PG_, a)", "PG_locked"), true);
  assert.equal(canPaste("#define Y(a) a ## _show", "PG_locked"), false);
});

test("names that grow past the bound stop the narrowing: every includer is kept (the preprocessor decides)", () => {
  // A header with more inlines using the changed one than the search follows (an update's
  // kvm_host.h grew to thousands of names through pasting macros and ran for an hour).
  const wide = scratchDir("hotpatch-wide-header");
  const many = Array.from(
    { length: MAX_FOLLOWED_NAMES + 10 },
    (_, i) => `static inline void wide_${i}(struct widget *w) { widget_init(w); }`,
  );
  const wideFiles: Record<string, string> = {
    "include/linux/widget.h": files["include/linux/widget.h"] as string,
    "include/linux/wide.h": ["#include <linux/widget.h>", ...many, ""].join("\n"),
    "drivers/user.c": "#include <linux/wide.h>\nvoid u(struct widget *w) { wide_3(w); }\n",
    "drivers/idle.c": "#include <linux/wide.h>\nint idle(void) { return 0; }\n",
  };
  for (const [path, text] of Object.entries(wideFiles)) {
    mkdirSync(dirname(join(wide, path)), { recursive: true });
    writeFileSync(join(wide, path), text);
  }
  const index = scanIncludes(wide);
  const users = headerUsers(index, "include/linux/widget.h");
  assert.deepEqual(users, ["drivers/idle.c", "drivers/user.c"]);
  const started = Date.now();
  const kept = usersOfChangedNames(wide, index, "include/linux/widget.h", users, [
    { name: "widget_init", isFunction: true },
  ]);
  assert.deepEqual(kept, users);
  assert.ok(Date.now() - started < 5000, "gives up at once rather than following every name");
});
