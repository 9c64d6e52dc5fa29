// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch diff` as a user runs it: exit codes 0/2/3/1, the --json arrays, the human table.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { hotpatch, peerDir, peerSkip } from "../../helpers/cli.ts";

const dir = join(peerDir, "x86_64");
const pair = (name: string, patched = "PATCHED.o") => [
  join(dir, `${name}.ORIG.o`),
  join(dir, `${name}.${patched}`),
];

test("patchable pair: exit 0, a table naming the function, --json with changed/new/ignored/refused", {
  skip: peerSkip,
}, async () => {
  const text = await hotpatch(["diff", ...pair("new-function")]);
  assert.equal(text.exitCode, 0, text.stderr);
  assert.match(text.stdout, /changed\s+n_tty_write/);
  assert.match(text.stdout, /new\s+kpatch_n_tty_write/);
  const json = await hotpatch(["diff", ...pair("new-function"), "--json"]);
  assert.equal(json.exitCode, 0);
  const doc = JSON.parse(json.stdout);
  for (const key of ["changed", "new", "ignored", "refused"]) assert.ok(Array.isArray(doc[key]), key);
  assert.deepEqual(
    doc.changed.map((e: { name: string }) => e.name),
    ["n_tty_write"],
  );
  assert.ok(doc.changed.every((e: { reason: string }) => e.reason.length > 0));
});

test("refused pair: exit 2, the refusal with its symbol and reason", { skip: peerSkip }, async () => {
  const result = await hotpatch(["diff", ...pair("meminfo-init", "PATCHED.FAIL.o"), "--json"]);
  assert.equal(result.exitCode, 2);
  const doc = JSON.parse(result.stdout);
  assert.equal(doc.refused[0].kind, "init-code");
  assert.equal(doc.refused[0].name, "proc_meminfo_init");
  assert.match(result.stderr, /refused/);
});

test("line-number-only pair: exit 3 and the ignored functions with their reason", {
  skip: peerSkip,
}, async () => {
  const result = await hotpatch(["diff", ...pair("warn-detect", "PATCHED.FAIL.o"), "--json"]);
  assert.equal(result.exitCode, 3);
  const doc = JSON.parse(result.stdout);
  assert.ok(doc.ignored.length > 0);
  assert.match(doc.ignored[0].reason, /line/i);
});

test("bad input: exit 1 with one sentence naming the file", { skip: peerSkip }, async () => {
  const result = await hotpatch(["diff", "/etc/hostname", join(dir, "cold-add.ORIG.o")]);
  assert.equal(result.exitCode, 1);
  assert.match(result.stderr, /\/etc\/hostname/);
  assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/);
  const missing = await hotpatch(["diff", "/nonexistent.o", join(dir, "cold-add.ORIG.o")]);
  assert.equal(missing.exitCode, 1);
  assert.equal(missing.stderr, "hotpatch: /nonexistent.o does not exist.");
});

test("builds of two different source files are refused as bad input, not diffed", {
  skip: peerSkip,
}, async () => {
  // cmdline-ubsan is fs/proc/cmdline.c, new-function is drivers/tty/n_tty.c.
  const result = await hotpatch(["diff", pair("cmdline-ubsan")[0] ?? "", pair("new-function")[1] ?? ""]);
  assert.equal(result.exitCode, 1);
  assert.match(
    result.stderr,
    /^hotpatch: .* are builds of different source files \(cmdline\.c and n_tty\.c\)/m,
  );
  assert.equal(result.stdout, "");
});
