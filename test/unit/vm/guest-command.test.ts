// SPDX-License-Identifier: GPL-2.0-only
// The command reaches the guest as a script of single-quoted words: run that script with the
// host's sh and check the program receives exactly the argv it was given.
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { execa } from "execa";
import { UserError } from "../../../src/errors/user-error.ts";
import {
  commandScript,
  findHotpatchEntry,
  guestPath,
  shellQuote,
  writeRunShare,
} from "../../../src/vm/guest-command.ts";
import { hotpatchBin } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";

const NASTY = [
  "plain",
  "",
  "with space",
  "it's",
  "'",
  "$(touch /tmp/pwned)",
  "`id`",
  "a\nb",
  "*",
  "--",
  "\\",
  '"q"',
  "é ✓",
];

test("every argument arrives unchanged through the generated script", async () => {
  const dir = scratchDir("hotpatch-vm-test");
  try {
    const printer = "process.stdout.write(JSON.stringify(process.argv.slice(1)))";
    const script = join(dir, "command.sh");
    writeFileSync(script, commandScript([process.execPath, "-e", printer, ...NASTY], dir));
    const result = await execa("sh", [script], { cwd: "/" });
    assert.deepEqual(JSON.parse(result.stdout), NASTY);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the command starts in the given directory, or / when it does not exist", async () => {
  const dir = scratchDir("vm-test-it's");
  try {
    const script = join(dir, "command.sh");
    writeFileSync(script, commandScript(["pwd"], dir));
    assert.equal((await execa("sh", [script], { cwd: "/" })).stdout, dir);
    writeFileSync(script, commandScript(["pwd"], join(dir, "missing")));
    assert.equal((await execa("sh", [script], { cwd: "/tmp" })).stdout, "/");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("shellQuote wraps in single quotes", () => {
  assert.equal(shellQuote("a b"), "'a b'");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
});

test("an empty command and NUL bytes are refused", () => {
  assert.throws(() => commandScript([], "/"), UserError);
  assert.throws(() => commandScript(["a\0b"], "/"), UserError);
});

test("the run share holds nonce, script, modules and writable dir; odd paths are refused", () => {
  const dir = scratchDir("hotpatch-vm-test");
  try {
    const { nonce } = writeRunShare(dir, {
      command: ["true"],
      cwd: "/",
      modules: ["/a/b.ko", "/c d.ko"],
      writableDir: "/w",
    });
    assert.match(nonce, /^[0-9a-f]{24}$/);
    assert.equal(readFileSync(join(dir, "nonce"), "utf8"), `${nonce}\n`);
    assert.equal(readFileSync(join(dir, "modules"), "utf8"), "/a/b.ko\n/c d.ko\n");
    assert.equal(readFileSync(join(dir, "writable"), "utf8"), "/w\n");
    assert.throws(
      () => writeRunShare(dir, { command: ["true"], cwd: "/", modules: ["relative.ko"] }),
      UserError,
    );
    assert.throws(
      () => writeRunShare(dir, { command: ["true"], cwd: "/", modules: ["/a\nb.ko"] }),
      UserError,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the guest's PATH puts the run's bin and node's directory first, without duplicates", () => {
  assert.equal(
    guestPath("/run/hotpatch-vm/bin", "/opt/node/bin"),
    "/run/hotpatch-vm/bin:/opt/node/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  );
  assert.equal(
    guestPath("/r", "/usr/bin"),
    "/r:/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin:/bin",
  );
});

test("the script sets PATH and the run share gets a hotpatch wrapper for this checkout", async () => {
  assert.equal(findHotpatchEntry(), hotpatchBin);
  const dir = scratchDir("hotpatch-vm-test");
  try {
    writeRunShare(dir, { command: ["true"], cwd: "/", modules: [] });
    const wrapper = join(dir, "bin", "hotpatch");
    assert.equal((await execa(wrapper, ["--version"])).stdout, "0.1.0");
    assert.match(readFileSync(join(dir, "command.sh"), "utf8"), /^export PATH='\/run\/hotpatch-vm\/bin:/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
