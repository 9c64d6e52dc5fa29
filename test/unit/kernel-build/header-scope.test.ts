// SPDX-License-Identifier: GPL-2.0-only
// What a header fix changes, read from the source around its hunks: a struct's layout (refused
// before compiling: include/net/netfilter/nf_queue.h once built an unsafe livepatch), inline
// function or macro bodies, prototypes, comments.
import assert from "node:assert/strict";
import { test } from "node:test";
import { classifyHeaderChange, headerLayoutChange } from "../../../src/kernel/header-scope.ts";
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

test("a field added to a struct is a layout change, named", () => {
  const patch = patchOf(
    "@@ -8,6 +8,7 @@\n \tunsigned int id;\n+\tstruct net_device *bridge_dev;\n \tstruct net_device *physin;\n \tint (*okfn)(struct x_entry *e);\n };\n",
  );
  assert.equal(headerLayoutChange(HEADER, patch, "include/net/x.h"), "struct x_entry");
  assert.match(
    applyHunks(HEADER, patch, "include/net/x.h"),
    /id;\n\tstruct net_device \*bridge_dev;\n\tstruct net_device \*physin/,
  );
});

test("an inline body change names the function and the header's inlines that call it", () => {
  const change = classify("@@ -20,3 +20,3 @@\n {\n-\treturn e->id;\n+\treturn e->id + 1;\n }\n");
  assert.deepEqual(change, { kind: "code", names: ["x_len", "x_twice"] });
  assert.equal(
    headerLayoutChange(
      HEADER,
      patchOf("@@ -20,3 +20,3 @@\n {\n-\treturn e->id;\n+\treturn e->id + 1;\n }\n"),
      "include/net/x.h",
    ),
    undefined,
  );
});

test("a macro, a new prototype and an enum constant are not layout changes", () => {
  assert.deepEqual(classify("@@ -5,1 +5,1 @@\n-\t((a) > (b) ? (a) : (b))\n+\t((a) >= (b) ? (a) : (b))\n"), {
    kind: "code",
    names: ["X_MAX"],
  });
  assert.deepEqual(classify("@@ -17,0 +18,1 @@\n+int x_unregister(struct x_entry *e);\n"), {
    kind: "code",
    names: [],
  });
  assert.equal(classify("@@ -14,1 +14,2 @@\n \tX_ONE,\n+\tX_TWO,\n").kind, "other");
});

test("a comment inside a struct changes nothing; a changed field type does", () => {
  assert.deepEqual(
    classify("@@ -8,1 +8,1 @@\n-\tunsigned int id;\n+\tunsigned int id; /* the entry's id */\n"),
    { kind: "code", names: [] },
  );
  assert.deepEqual(classify("@@ -8,0 +9,1 @@\n+\t/* physin: the input device */\n"), {
    kind: "code",
    names: [],
  });
  assert.deepEqual(classify("@@ -8,1 +8,1 @@\n-\tunsigned int id;\n+\tunsigned long id;\n"), {
    kind: "layout",
    type: "struct x_entry",
  });
});

test("C files too: a field added to a file-local struct is refused; a struct the fix adds is not", () => {
  const source = `#include <linux/slab.h>

struct bcm_op {
\tint ifindex;
\tspinlock_t bcm_tx_lock;
};

static int counter = 1;

static int f(struct bcm_op *op)
{
\treturn op->ifindex;
}
`;
  const path = "net/can/bcm.c";
  const head = `--- a/${path}\n+++ b/${path}\n`;
  const field = `${head}@@ -5,1 +5,2 @@\n \tspinlock_t bcm_tx_lock;\n+\tspinlock_t bcm_rx_update_lock;\n`;
  assert.equal(headerLayoutChange(source, field, path), "struct bcm_op");
  const added = `${head}@@ -7,0 +8,4 @@\n+struct bcm_log {\n+\tint type;\n+};\n+\n@@ -8,1 +12,1 @@\n-static int counter = 1;\n+static int counter = 2;\n`;
  assert.equal(
    headerLayoutChange(source, added, path),
    undefined,
    "new type and a data change (the diff judges that)",
  );
});

test("respelling a field's type with the same layout is not a layout change (kernel/audit_tree.c)", () => {
  const source =
    "struct audit_chunk {\n\tint count;\n\tstruct audit_node {\n\t\tunsigned index;\n\t} owners[];\n};\n";
  const path = "kernel/audit_tree.c";
  const respelled = `--- a/${path}\n+++ b/${path}\n@@ -3,3 +3,3 @@\n \tstruct audit_node {\n-\t\tunsigned index;\n+\t\tunsigned int index;\n \t} owners[];\n`;
  assert.equal(headerLayoutChange(source, respelled, path), undefined);
  const widened = `--- a/${path}\n+++ b/${path}\n@@ -3,3 +3,3 @@\n \tstruct audit_node {\n-\t\tunsigned index;\n+\t\tunsigned long index;\n \t} owners[];\n`;
  assert.equal(headerLayoutChange(source, widened, path), "struct audit_chunk");
});

test("a new inline function in a header is named (only units that call it can see it)", () => {
  const change = classify(
    "@@ -27,0 +28,5 @@\n+\n+static inline bool x_hold_safe(struct x_entry *e)\n+{\n+\treturn e->id != 0;\n+}\n",
  );
  assert.deepEqual(change, { kind: "code", names: ["x_hold_safe"] });
});
