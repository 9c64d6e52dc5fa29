// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch build` and `hotpatch verify` reject bad input with one sentence and a non-zero exit
// before touching a target or a VM.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { execa } from "execa";
import { hotpatch } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";

const dir = scratchDir("hotpatch-klp-cli");

test("build refuses an invalid --name", async () => {
  const r = await hotpatch(["build", "x.patch", "--name", "Bad-Name"]);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /'Bad-Name' is not a valid livepatch module name/);
});

test("build wants --sign-key and --sign-cert together", async () => {
  const r = await hotpatch(["build", "x.patch", "--sign-key", "k.pem"]);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /--sign-key and --sign-cert go together/);
});

test("verify refuses a file that is not a kernel module, and a module that is not a livepatch", async () => {
  const junk = join(dir, "junk.ko");
  writeFileSync(junk, "not an ELF file");
  const r = await hotpatch(["verify", junk]);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /is not a readable kernel module/);
  const src = join(dir, "plain.c");
  writeFileSync(
    src,
    'const char modinfo_name[] __attribute__((section(".modinfo"), used)) = "name=plain";\n',
  );
  const plain = join(dir, "plain.ko");
  await execa("gcc", ["-c", "-o", plain, src]);
  const p = await hotpatch(["verify", plain]);
  assert.equal(p.exitCode, 1);
  assert.match(p.stderr, /is not a livepatch module/);
});

test("build and verify document their options", async () => {
  const b = await hotpatch(["build", "--help"]);
  assert.match(b.stdout, /--no-replace/);
  assert.match(b.stdout, /Exit status: 0 module built \(or series written\), 2/);
  assert.match(b.stdout, /--new-source <source>/);
  const v = await hotpatch(["verify", "--help"]);
  assert.match(v.stdout, /--check <cmd>/);
  const d = await hotpatch(["demo", "--help"]);
  assert.match(d.stdout, /bundled real security fix/);
});
