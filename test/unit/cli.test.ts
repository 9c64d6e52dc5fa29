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

test("every command's --help has examples, and every reporting command has --json", async () => {
  const reporting = [
    ["target", "prepare"],
    ["target", "list"],
    ["build"],
    ["verify"],
    ["demo"],
    ["diff"],
    ["load"],
    ["unload"],
    ["list"],
    ["status"],
    ["install"],
    ["uninstall"],
    ["elf", "dump"],
  ];
  const others = [["vm"], ["elf", "rewrite"]];
  for (const command of [...reporting, ...others]) {
    const result = await hotpatch([...command, "--help"]);
    assert.equal(result.exitCode, 0, command.join(" "));
    if (reporting.includes(command)) assert.match(result.stdout, /--json\b/, `${command.join(" ")}: --json`);
    // `target list` and `list` take no arguments: their usage line is the example.
    if (!["target list", "list"].includes(command.join(" ")))
      assert.match(result.stdout, /\nExamples:\n {2}hotpatch /, `${command.join(" ")}: examples`);
  }
});
