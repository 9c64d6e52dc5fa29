// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch vm` parsing, without booting anything: help, and one-sentence errors for bad input.
import assert from "node:assert/strict";
import { test } from "node:test";
import { hotpatch } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";

const emptyCache = scratchDir("hotpatch-vm-cli");
const env = { ...process.env, HOTPATCH_CACHE: emptyCache } as Record<string, string>;

test("vm --help documents the options", async () => {
  const result = await hotpatch(["vm", "--help"]);
  assert.equal(result.exitCode, 0);
  for (const option of ["--target", "--module", "--timeout", "--writable", "--append", "--kvm", "--kaslr"]) {
    assert.match(result.stdout, new RegExp(`${option}\\b`));
  }
});

test("vm without a command is refused", async () => {
  const result = await hotpatch(["vm"], { env });
  assert.notEqual(result.exitCode, 0);
  assert.match(result.stderr, /missing required argument 'command'/);
});

test("vm with a bad timeout is refused", async () => {
  const result = await hotpatch(["vm", "--timeout", "soon", "--", "true"], { env });
  assert.notEqual(result.exitCode, 0);
  assert.match(result.stderr, /positive number of seconds/);
});

test("vm on a target that is not prepared says how to prepare it", async () => {
  const result = await hotpatch(["vm", "--target", "debian:6.1.0-47-amd64", "--", "true"], { env });
  assert.equal(result.exitCode, 1);
  assert.match(
    result.stderr,
    /Target debian:6\.1\.0-47-amd64 is not prepared: run 'hotpatch target prepare debian:6\.1\.0-47-amd64'/,
  );
});
