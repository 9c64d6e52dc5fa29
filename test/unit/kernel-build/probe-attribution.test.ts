// SPDX-License-Identifier: GPL-2.0-only
// An expansion probe run with many fixes applied sees every changed header's effects; a
// header's plan follows only those that can come from its own change (probe-attribution.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ownChanges } from "../../../src/build/probe-attribution.ts";
import { definitions, type ExpansionChanges } from "../../../src/kernel/expansion-probe.ts";

const header = "include/linux/sched.h";
const texts: Record<string, string> = {
  "include/linux/skbuff.h":
    "static inline int skb_peek_tail(void) { return 0; }\n#define GEN(x) int gen_##x;\nGEN(a)\n",
  "include/linux/notes.h": "/* note_b is generated below */\n#define NOTE(x) int note_##x;\nNOTE(b)\n",
};
const read = (file: string) => texts[file] ?? "";

function probe(names: Array<[string, string]>): ExpansionChanges {
  return {
    names: names.map(([name, file]) => ({ name, file, isFunction: false })),
    definitions: names.map(([name, file]) => ({ name, file, old: `${name} 1`, new: `${name} 2` })),
    headers: new Set([header, "include/net/sock.h", "include/linux/skbuff.h", "include/linux/notes.h"]),
  };
}

test("with one fix, every definition written in a header is followed, pasted or not", () => {
  const own = ownChanges(
    probe([
      ["task_no_new_privs", header],
      ["gen_a", "include/linux/skbuff.h"],
    ]),
    header,
    new Set([header]),
    read,
  );
  assert.deepEqual(
    own.names.map((n) => n.name),
    ["task_no_new_privs", "gen_a"],
  );
  assert.equal(own.definitions.length, 2);
});

test("another touched header's definitions are left to its plan, and it no longer counts as compared", () => {
  const own = ownChanges(
    probe([
      ["task_pfa", header],
      ["sk_flag", "include/net/sock.h"],
    ]),
    header,
    new Set([header, "include/net/sock.h"]),
    read,
  );
  assert.deepEqual(
    own.names.map((n) => n.name),
    ["task_pfa"],
  );
  assert.deepEqual(
    own.definitions.map((d) => d.name),
    ["task_pfa"],
  );
  assert.ok(
    !own.headers.has("include/net/sock.h"),
    "a macro of this header invoked there is followed as text",
  );
  assert.ok(own.headers.has("include/linux/skbuff.h"));
});

test("in an untouched header, a name written as a word is left to the text search; a pasted one is kept", () => {
  const own = ownChanges(
    probe([
      ["skb_peek_tail", "include/linux/skbuff.h"],
      ["gen_a", "include/linux/skbuff.h"],
      ["note_b", "include/linux/notes.h"], // named only in a comment: still pasted
    ]),
    header,
    new Set([header, "include/net/sock.h"]),
    read,
  );
  assert.deepEqual(
    own.names.map((n) => n.name),
    ["gen_a", "note_b"],
  );
});

test("the probe unit's own definitions (a renumbered __UNIQUE_ID_) are not followed", () => {
  const own = ownChanges(
    probe([["__UNIQUE_ID_alias653", "drivers/net/ipoib_netlink.c"]]),
    header,
    new Set([header]),
    read,
  );
  assert.deepEqual(own.names, []);
});

test("each expanded definition is attributed to the file its line marker names", () => {
  const expanded = [
    '# 1 "drivers/a.c"',
    '# 1 "./include/linux/sched.h" 1',
    "static inline int task_pfa(void) { return 1; }",
    '# 3 "./include/linux/skbuff.h" 1',
    "struct sk_buff { int len; };",
    '# 2 "drivers/a.c" 2',
    "int a(void) { return task_pfa(); }",
  ].join("\n");
  const defs = definitions(expanded);
  assert.equal(defs.get("task_pfa")?.file, "include/linux/sched.h");
  assert.equal(defs.get("task_pfa")?.isFunction, true);
  assert.equal(defs.get("sk_buff")?.file, "include/linux/skbuff.h");
  assert.equal(defs.get("a")?.file, "drivers/a.c");
});
