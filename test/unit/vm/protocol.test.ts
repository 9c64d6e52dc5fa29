// SPDX-License-Identifier: GPL-2.0-only
// The command channel's framing: output and init's marks are told apart however the bytes are
// split into chunks, and the console is read for panics, oopses and init failures.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ChannelDemux,
  findTrouble,
  type GuestReport,
  lastLines,
  markPrefix,
  partialPrefixLength,
} from "../../../src/vm/protocol.ts";

const NONCE = "0123456789abcdef";

function demuxAll(chunks: string[]): { output: string; reports: GuestReport[] } {
  let output = "";
  const reports: GuestReport[] = [];
  const demux = new ChannelDemux(
    NONCE,
    (text) => (output += text),
    (report) => reports.push(report),
  );
  for (const chunk of chunks) demux.push(chunk);
  demux.flush();
  return { output, reports };
}

const stream = `${markPrefix(NONCE)}ready:0\nhello\nno newline at the end${markPrefix(NONCE)}exit:7\n`;

test("marks are taken out of the output and reported", () => {
  const { output, reports } = demuxAll([stream]);
  assert.equal(output, "hello\nno newline at the end");
  assert.deepEqual(reports, [{ kind: "ready" }, { kind: "exit", code: 7 }]);
});

test("any split of the stream into two chunks gives the same result", () => {
  for (let cut = 0; cut <= stream.length; cut++) {
    const { output, reports } = demuxAll([stream.slice(0, cut), stream.slice(cut)]);
    assert.equal(output, "hello\nno newline at the end", `cut at ${cut}`);
    assert.deepEqual(reports, [{ kind: "ready" }, { kind: "exit", code: 7 }], `cut at ${cut}`);
  }
});

test("one byte at a time gives the same result, and output is passed on before the end", () => {
  let seen = "";
  const reports: GuestReport[] = [];
  const demux = new ChannelDemux(
    NONCE,
    (text) => (seen += text),
    (report) => reports.push(report),
  );
  for (const char of stream) demux.push(char);
  // Everything but a possible mark start is passed on without waiting for flush().
  assert.equal(seen, "hello\nno newline at the end");
  assert.equal(reports.length, 2);
});

test("a mark with another nonce is ordinary output", () => {
  const forged = `${markPrefix("ffffffffffffffff")}exit:0\n`;
  const { output, reports } = demuxAll([forged]);
  assert.equal(output, forged);
  assert.deepEqual(reports, []);
});

test("a held-back partial mark is output after all when the stream ends", () => {
  const partial = markPrefix(NONCE).slice(0, 5);
  const { output } = demuxAll([`abc${partial}`]);
  assert.equal(output, `abc${partial}`);
});

test("insmod failures name the module's position", () => {
  const { reports } = demuxAll([`${markPrefix(NONCE)}insmod-failed:2\n`]);
  assert.deepEqual(reports, [{ kind: "insmod-failed", index: 2 }]);
});

test("partialPrefixLength finds the longest proper prefix at the end", () => {
  assert.equal(partialPrefixLength("xxab", "abc"), 2);
  assert.equal(partialPrefixLength("xxabc", "abc"), 0);
  assert.equal(partialPrefixLength("xxa", "abc"), 1);
  assert.equal(partialPrefixLength("", "abc"), 0);
});

test("findTrouble names an oops before the panic it caused, and init failures first", () => {
  const console = [
    "[    1.0] Run /init as init process",
    "[    5.1] BUG: kernel NULL pointer dereference, address: 0000000000000000",
    "[    5.2] Oops: 0002 [#1] PREEMPT SMP NOPTI",
    "[    5.3] Kernel panic - not syncing: Fatal exception",
  ].join("\n");
  assert.deepEqual(findTrouble(console, "hotpatch-init: "), {
    kind: "oops",
    line: "[    5.1] BUG: kernel NULL pointer dereference, address: 0000000000000000",
  });
  const sysrq =
    "[    4.0] sysrq: Trigger a crash\r\n[    4.1] Kernel panic - not syncing: sysrq triggered crash\r\n";
  assert.equal(findTrouble(sysrq, "hotpatch-init: ")?.kind, "panic");
  const init = "hotpatch-init: cannot mount the host's root over 9p\n[ 3.0] Kernel panic - not syncing: x";
  assert.deepEqual(findTrouble(init, "hotpatch-init: "), {
    kind: "init-failed",
    line: "cannot mount the host's root over 9p",
  });
  assert.equal(findTrouble("[ 1.0] livepatch: enabling patch 'x'\n", "hotpatch-init: "), undefined);
});

test("lastLines keeps the tail without carriage returns", () => {
  const text = Array.from({ length: 50 }, (_, i) => `line ${i}\r`).join("\n");
  const tail = lastLines(text, 30);
  assert.equal(tail.length, 30);
  assert.equal(tail[0], "line 20");
  assert.equal(tail[29], "line 49");
});
