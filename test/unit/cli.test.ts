// SPDX-License-Identifier: GPL-2.0-only
// The CLI wiring: help for every command, one-sentence errors with a non-zero exit.
import assert from "node:assert/strict";
import { test } from "node:test";
import { hotpatch } from "../helpers/cli.ts";

test("--help lists every command", async () => {
  const result = await hotpatch(["--help"]);
  assert.equal(result.exitCode, 0);
  for (const command of [
    "target",
    "build",
    "verify",
    "demo",
    "diff",
    "vm",
    "load",
    "unload",
    "list",
    "status",
    "install",
    "uninstall",
    "elf",
  ]) {
    assert.match(result.stdout, new RegExp(`^  ${command}\\b`, "m"), `${command} missing from --help`);
  }
});

test("usage errors (unknown command, extra or missing argument) read like other errors", async () => {
  for (const [args, sentence] of [
    [["no-such-command"], "unknown command 'no-such-command'"],
    [["list", "extra"], "too many arguments for 'list'. Expected 0 arguments but got 1."],
    [["elf", "dump"], "missing required argument 'file'"],
  ] as const) {
    const result = await hotpatch([...args]);
    assert.equal(result.exitCode, 1);
    assert.equal(result.stderr, `hotpatch: ${sentence}\n(run with --help for usage)`);
  }
});
