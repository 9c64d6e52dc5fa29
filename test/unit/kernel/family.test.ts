// SPDX-License-Identifier: GPL-2.0-only
// The kernel family is read from the configuration and the source, not the version: 6.1's and
// 6.12's settings give the properties the build and the VM act on.
import assert from "node:assert/strict";
import { test } from "node:test";
import { familyOf } from "../../../src/kernel/family.ts";

const config = (entries: Record<string, string>) =>
  new Map(Object.entries(entries).map(([k, v]) => [`CONFIG_${k}`, v]));

test("Debian 6.1: objtool per object, no IBT, no padding, no relocation clearing", () => {
  const family = familyOf(config({ PREEMPT_DYNAMIC: "y", UNWINDER_ORC: "y" }), "int apply_relocate_add(", "");
  assert.deepEqual(family, {
    ibt: false,
    delayedObjtool: false,
    functionPadding: 0,
    klpRelocationsClearedOnUnload: false,
    transitionsRewriteCondResched: false,
  });
});

test("Debian 6.12: IBT delays objtool to the link, 16 bytes of padding, 6.3+ and 6.4+ loader and scheduler", () => {
  const family = familyOf(
    config({ X86_KERNEL_IBT: "y", CALL_PADDING: "y", FUNCTION_PADDING_BYTES: "16", PREEMPT_DYNAMIC: "y" }),
    "void clear_relocate_add(Elf64_Shdr *sechdrs,",
    "void sched_dynamic_klp_enable(void)\n{",
  );
  assert.deepEqual(family, {
    ibt: true,
    delayedObjtool: true,
    functionPadding: 16,
    klpRelocationsClearedOnUnload: true,
    transitionsRewriteCondResched: true,
  });
  assert.equal(familyOf(config({ LTO_CLANG: "y" }), "", "").delayedObjtool, true);
});
