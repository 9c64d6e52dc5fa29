// SPDX-License-Identifier: GPL-2.0-only
// The CLI wiring: help for every command, one-sentence errors with a non-zero exit.
import assert from "node:assert/strict";
import { test } from "node:test";
import { hotpatch } from "../helpers/cli.ts";

test("--help lists every command", async () => {
  const result = await hotpatch(["--help"]);
  assert.equal(result.exitCode, 0);
  for (const command of ["target", "build", "verify", "diff", "vm", "load", "unload", "list", "status", "install", "elf"]) {
    assert.match(result.stdout, new RegExp(`^  ${command}\\b`, "m"), `${command} missing from --help`);
  }
});

test("an unknown command exits non-zero with a message", async () => {
  const result = await hotpatch(["no-such-command"]);
  assert.notEqual(result.exitCode, 0);
  assert.match(result.stderr, /unknown command/);
});
