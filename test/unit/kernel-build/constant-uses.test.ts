// SPDX-License-Identifier: GPL-2.0-only
// A constant whose value a fix changes, and whether it encodes data the running kernel holds:
// bit numbers (test_bit(PFA_##name, ...)), masks, states; limits and sizes do not.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  changedConstants,
  encodingUses,
  expandedEncodingUses,
  pastedEncodingUses,
} from "../../../src/kernel/constant-uses.ts";

const SCHED = `#define PFA_NO_NEW_PRIVS		0	/* May not gain new privileges. */
#define PFA_SPREAD_PAGE			1
#define MAX_LEN				64

#define TASK_PFA_TEST(name, func)					\\
	static inline bool task_##func(struct task_struct *p)		\\
	{ return test_bit(PFA_##name, &p->atomic_flags); }
`;

const fix = (from: string, to: string, line: number) =>
  `--- a/include/linux/sched.h\n+++ b/include/linux/sched.h\n@@ -${line},1 +${line},1 @@\n-${from}\n+${to}\n`;

test("a changed #define value is found with its old and new value; comments and spacing do not count", () => {
  const patch = fix(
    "#define PFA_NO_NEW_PRIVS\t\t0\t/* May not gain new privileges. */",
    "#define PFA_NO_NEW_PRIVS\t\t5",
    1,
  );
  const fixed = SCHED.replace(/PFA_NO_NEW_PRIVS\t\t0.*$/m, "PFA_NO_NEW_PRIVS\t\t5");
  assert.deepEqual(changedConstants(SCHED, fixed, patch, "include/linux/sched.h"), [
    { name: "PFA_NO_NEW_PRIVS", old: "0", new: "5" },
  ]);
  const respaced = fix("#define PFA_SPREAD_PAGE\t\t\t1", "#define PFA_SPREAD_PAGE 1", 2);
  assert.deepEqual(
    changedConstants(
      SCHED,
      SCHED.replace("PFA_SPREAD_PAGE\t\t\t1", "PFA_SPREAD_PAGE 1"),
      respaced,
      "include/linux/sched.h",
    ),
    [],
  );
});

test("bit numbers, masks, states are encodings; limits, sizes and counts are not", () => {
  const uses = (line: string) => encodingUses(line, "FOO").length > 0;
  assert.ok(uses("if (test_bit(FOO, &p->flags))"));
  assert.ok(uses("set_bit(FOO, &sk->sk_flags);"));
  assert.ok(uses("return _test_bit(FOO, addr);"));
  assert.ok(uses("flags |= BIT(FOO);"));
  assert.ok(uses("if (x->flags & FOO)"));
  assert.ok(uses("mask = 1UL << FOO;"));
  assert.ok(uses("if (state == FOO)"));
  assert.ok(uses("case FOO:"));
  assert.ok(!uses("if (len > FOO) return -EINVAL;"));
  assert.ok(!uses("char buf[FOO];"));
  assert.ok(!uses("for (i = 0; i < FOO; i++)"));
  assert.ok(!uses("if (a && FOO_BAR)"), "another name that starts alike");
});

test("a pasted bit number (PFA_##name in test_bit) is an encoding use", () => {
  assert.deepEqual(pastedEncodingUses(SCHED, "PFA_NO_NEW_PRIVS"), [
    "{ return test_bit(PFA_##name, &p->atomic_flags); }",
  ]);
  assert.deepEqual(pastedEncodingUses(SCHED, "MAX_LEN"), []);
});

test("in expanded definitions the old value turning into the new one is classified in place", () => {
  const changed = [
    {
      name: "task_no_new_privs",
      old: "static inline bool task_no_new_privs(struct task_struct *p) { return const_test_bit(0, &p->atomic_flags); }",
      new: "static inline bool task_no_new_privs(struct task_struct *p) { return const_test_bit(5, &p->atomic_flags); }",
    },
    { name: "too_long", old: "if (len > 0) return 1;", new: "if (len > 5) return 1;" },
  ];
  const uses = expandedEncodingUses(changed, { name: "PFA_NO_NEW_PRIVS", old: "0", new: "5" });
  assert.equal(uses.length, 1);
  assert.match(uses[0] ?? "", /^task_no_new_privs: .*const_test_bit \( 5/);
});
