// SPDX-License-Identifier: GPL-2.0-only
// What a header fix changes, read from the source around its hunks: the names of the
// constructs it touches (inline functions, macros, prototypes, types and their enum constants),
// used only to narrow which units can see the change. Whether a change is safe is decided
// from the compiled objects, not here.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ENDS_AS_PROTOTYPE, scanConstructs } from "../../../src/kernel/c-scan.ts";
import { classifyHeaderChange } from "../../../src/kernel/header-scope.ts";
import { applyHunks, changedLines } from "../../../src/kernel/hunks.ts";

const HEADER = `/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NET_X_H
#define _NET_X_H
#define X_MAX(a, b) \\
	((a) > (b) ? (a) : (b))

struct x_entry {
	unsigned int id;
	struct net_device *physin;
	int (*okfn)(struct x_entry *e);
};

enum x_state {
	X_ONE,
};

int x_register(struct x_entry *e);

static inline int x_len(const struct x_entry *e)
{
	return e->id;
}

static inline int x_twice(const struct x_entry *e)
{
	return 2 * x_len(e);
}
#endif
`;

function patchOf(hunk: string): string {
  return `--- a/include/net/x.h\n+++ b/include/net/x.h\n${hunk}`;
}

function classify(hunk: string) {
  const patch = patchOf(hunk);
  const path = "include/net/x.h";
  return classifyHeaderChange(HEADER, applyHunks(HEADER, patch, path), changedLines(patch, path));
}

test("a field added to a struct names the struct and the header's inlines that use it", () => {
  const change = classify(
    "@@ -8,6 +8,7 @@\n \tunsigned int id;\n+\tstruct net_device *bridge_dev;\n \tstruct net_device *physin;\n \tint (*okfn)(struct x_entry *e);\n };\n",
  );
  assert.deepEqual(change, { kind: "names", names: ["x_entry", "x_len", "x_twice"] });
});

test("an inline body change names the function and the header's inlines that call it", () => {
  const change = classify("@@ -20,3 +20,3 @@\n {\n-\treturn e->id;\n+\treturn e->id + 1;\n }\n");
  assert.deepEqual(change, { kind: "names", names: ["x_len", "x_twice"] });
});

test("a macro, a prototype and an enum constant are named", () => {
  assert.deepEqual(classify("@@ -5,1 +5,1 @@\n-\t((a) > (b) ? (a) : (b))\n+\t((a) >= (b) ? (a) : (b))\n"), {
    kind: "names",
    names: ["X_MAX"],
  });
  // A changed prototype reaches its callers (a new parameter changes how they call it).
  assert.deepEqual(
    classify(
      "@@ -17,1 +17,1 @@\n-int x_register(struct x_entry *e);\n+int x_register(struct x_entry *e, int flags);\n",
    ),
    {
      kind: "names",
      names: ["x_register"],
    },
  );
  assert.deepEqual(classify("@@ -14,1 +14,2 @@\n \tX_ONE,\n+\tX_TWO,\n"), {
    kind: "names",
    names: ["X_ONE", "X_TWO", "x_state"],
  });
});

test("a comment changes nothing; an #include keeps every includer", () => {
  assert.deepEqual(
    classify("@@ -8,1 +8,1 @@\n-\tunsigned int id;\n+\tunsigned int id; /* the entry's id */\n"),
    {
      kind: "names",
      names: ["x_entry", "x_len", "x_twice"],
    },
  );
  assert.deepEqual(classify("@@ -8,0 +9,1 @@\n+\t/* physin: the input device */\n"), {
    kind: "names",
    names: [],
  });
  assert.deepEqual(classify("@@ -3,0 +4,1 @@\n+#include <linux/types.h>\n"), { kind: "whole", line: 4 });
});

test("a new inline function in a header is named (only units that call it can see it)", () => {
  const change = classify(
    "@@ -27,0 +28,5 @@\n+\n+static inline bool x_hold_safe(struct x_entry *e)\n+{\n+\treturn e->id != 0;\n+}\n",
  );
  assert.deepEqual(change, { kind: "names", names: ["x_hold_safe"] });
});

test("the scanner names what types bring into scope: tags, typedef names, enum constants, packed structs", () => {
  const text = [
    "typedef struct {",
    "\tint a;",
    "} widget_t;",
    "struct __packed wire_hdr {",
    "\tu8 kind;",
    "};",
    "enum mode { MODE_A = 1 << 2, MODE_B, };",
    "typedef int (*handler_fn)(int);",
    "TASK_PFA_TEST(NO_NEW_PRIVS, no_new_privs)",
    "static inline int f(void)",
    "{",
    "\treturn 0;",
    "}",
  ].join("\n");
  assert.deepEqual(
    scanConstructs(text).map((c) => [c.kind, c.names, c.first, c.last]),
    [
      ["type", ["widget_t"], 1, 3],
      ["type", ["wire_hdr"], 4, 6],
      ["type", ["mode", "MODE_A", "MODE_B"], 7, 7],
      ["type", ["handler_fn"], 8, 8],
      ["invocation", ["TASK_PFA_TEST"], 9, 9],
      ["function", ["f"], 10, 13],
    ],
  );
});

test("a prototype ends in `)` and attributes, nested parentheses included; initialised data does not", () => {
  for (const head of [
    "int f(int a) __attribute__((format(printf, 1, 2)))",
    "void g(void) __acquires(x) __must_hold(&y->z)",
    "int h(int)",
  ])
    assert.ok(ENDS_AS_PROTOTYPE.test(head), head);
  for (const head of ["int x = 3", "struct a b", "int f(int) __attr junk"])
    assert.ok(!ENDS_AS_PROTOTYPE.test(head), head);
});
