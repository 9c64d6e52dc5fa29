// SPDX-License-Identifier: GPL-2.0-only
// Bad input through the built CLI, command by command: a missing file, a directory where a file
// belongs, an output path that cannot be written, a --keep that is a file. Each is one sentence
// on stderr and a non-zero exit, found before any target is prepared (the cache stays empty),
// and nothing half-written is left behind.
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { assertUserError, hotpatch, peerDir, peerSkip } from "../helpers/cli.ts";
import { scratchDir } from "../helpers/scratch.ts";
import { fakeKo, RELEASE, VERMAGIC } from "./runtime/fake-ko.ts";
import { FakeSystem } from "./runtime/fake-system.ts";

const dir = scratchDir("hotpatch-cli-input");
const cache = join(dir, "cache");
const aDir = join(dir, "a-dir");
const aFile = join(dir, "a-file.txt");
const missing = join(dir, "missing");
mkdirSync(aDir);
mkdirSync(cache);
writeFileSync(aFile, "not what was asked for\n");

/** The CLI with an empty cache, so a step that would prepare a target shows up in it. */
const run = (args: string[]) => hotpatch(args, { env: { HOTPATCH_CACHE: cache } });
const object = join(peerDir, "x86_64/new-function.ORIG.o");

test("build: a missing or directory fix, an output that is a directory, a missing key; no target prepared", async () => {
  assertUserError(await run(["build", `${missing}.patch`]), `${missing}.patch does not exist.`);
  assertUserError(await run(["build", aDir]), `The directory ${aDir} holds no *.patch or *.diff file.`);
  assertUserError(
    await run(["build", aFile]),
    `${aFile} is not a unified diff (no '--- a/... +++ b/...' file headers).`,
  );
  assertUserError(
    await run(["build", aFile, "-o", aDir]),
    `${aDir} is a directory: give a file name for the module.`,
  );
  assertUserError(
    await run(["build", aFile, "--sign-key", `${missing}.pem`, "--sign-cert", aFile]),
    `${missing}.pem does not exist.`,
  );
  assert.deepEqual(readdirSync(cache), [], "nothing was prepared or downloaded");
});

test("diff --old-line-numbers: a missing object is named; a build of another unit is refused", {
  skip: peerSkip,
}, async () => {
  const patched = object.replace(".ORIG.o", ".PATCHED.o");
  assertUserError(
    await run(["diff", "--old-line-numbers", missing, object, patched]),
    `${missing} does not exist.`,
  );
  const otherUnit = join(peerDir, "x86_64/meminfo-string.ORIG.o");
  assertUserError(
    await run(["diff", "--old-line-numbers", otherUnit, object, patched]),
    /^the patched object and .*meminfo-string\.ORIG\.o are builds of different source files/,
  );
});

test("verify: a missing module and a directory are refused before any VM work", async () => {
  assertUserError(await run(["verify", `${missing}.ko`]), `${missing}.ko does not exist.`);
  assertUserError(await run(["verify", aDir]), `${aDir} is a directory, not a kernel module.`);
  assertUserError(await run(["verify", "--json", aDir]), `${aDir} is a directory, not a kernel module.`);
  // Built for 6.1.0-47: refused in words, not by insmod's "Invalid module format" in a VM.
  const other = fakeKo("lp_other", {
    modinfo: [VERMAGIC.replace(RELEASE, "6.1.0-47-amd64"), "livepatch=Y", "name=lp_other"],
  });
  assertUserError(
    await run(["verify", other]),
    `${other} was built for kernel 6.1.0-47-amd64, not for the target debian:6.1.0-50-amd64: build it with --target debian:6.1.0-50-amd64.`,
  );
  assert.deepEqual(readdirSync(cache), []);
});

test("verify --upgrade-from: a missing old module, or one of the new one's name, is refused before any VM work", async () => {
  const lp = (file: string) => fakeKo(file, { modinfo: [VERMAGIC, "livepatch=Y", "name=lp_same"] });
  const [newKo, oldKo] = [lp("lp_new"), lp("lp_old")];
  assertUserError(
    await run(["verify", newKo, "--upgrade-from", `${missing}.ko`]),
    `${missing}.ko does not exist.`,
  );
  assertUserError(
    await run(["verify", newKo, "--upgrade-from", oldKo]),
    `${oldKo} and ${newKo} are both module lp_same: the kernel cannot hold two modules of one name, so build the new one under another name (--name).`,
  );
  assert.deepEqual(readdirSync(cache), []);
});

test("demo: --keep naming a file is refused before the target is prepared", async () => {
  assertUserError(
    await run(["demo", "--keep", aFile]),
    `Cannot use ${aFile} for --keep: it is not a directory.`,
  );
  assert.deepEqual(readdirSync(cache), []);
});

test("elf rewrite: an output that is a directory or under a file is one sentence, no partial file left", {
  skip: peerSkip,
}, async () => {
  assertUserError(await run(["elf", "rewrite", object, aDir]), `Cannot write ${aDir}: it is a directory.`);
  assertUserError(
    await run(["elf", "rewrite", object, join(aFile, "x.o")]),
    `Cannot write ${join(aFile, "x.o")}: a part of its path is not a directory.`,
  );
  assert.deepEqual(readdirSync(aDir), []);
  assert.ok(!readdirSync(dir).some((f) => f.includes(".partial-")), "no scratch file left");
});

test("load and install: a missing module and a directory, with and without --json", async () => {
  const env = new FakeSystem().cliEnv();
  for (const command of ["load", "install"]) {
    for (const json of [[], ["--json"]]) {
      assertUserError(
        await hotpatch([command, ...json, `${missing}.ko`], { env }),
        `${missing}.ko does not exist.`,
      );
      assertUserError(
        await hotpatch([command, ...json, aDir], { env }),
        `${aDir} is a directory, not a kernel module.`,
      );
    }
  }
});

test("load --all: a stored patch that does not load is a sentence on stderr and exit 1, with --json too", async () => {
  const sys = new FakeSystem();
  const ko = fakeKo("lp_broken", { modinfo: [VERMAGIC, "livepatch=Y", "name=lp_broken"], replace: true });
  assert.equal((await hotpatch(["install", ko], { env: sys.cliEnv() })).exitCode, 0);
  appendFileSync(join(sys.env.stateDir, RELEASE, "lp_broken.ko"), "tampered");
  const result = await hotpatch(["load", "--all", "--json"], { env: sys.cliEnv() });
  assert.equal(result.exitCode, 1);
  assert.deepEqual(
    JSON.parse(result.stdout).entries.map((e: { name: string; outcome: string }) => [e.name, e.outcome]),
    [["lp_broken", "incomplete"]],
  );
  assert.equal(result.stderr, "hotpatch: 1 installed patch did not load: lp_broken.");
});

const notRoot = process.getuid?.() !== 0 ? "needs root to switch to user nobody" : false;

test("a user who cannot write the cache or /run is told why and what to do", { skip: notRoot }, async () => {
  assertUserError(
    await hotpatch(["target", "prepare"], { env: { HOTPATCH_CACHE: cache }, asNobody: true }),
    /^Cannot take the lock on target debian:6\.1\.0-50-amd64 \(.*\): permission denied; set HOTPATCH_CACHE to a directory this user can write\.$/,
  );
  const sys = new FakeSystem();
  const ko = fakeKo("lp_nobody", { modinfo: [VERMAGIC, "livepatch=Y"] });
  for (const args of [
    ["install", ko],
    ["unload", "lp_nobody"],
  ]) {
    assertUserError(
      await hotpatch(args, { env: sys.cliEnv(), asNobody: true }),
      /^Cannot take the lock on livepatch state \(.*\): permission denied; run hotpatch as root\.$/,
    );
  }
});

test("a HOTPATCH_CACHE that is a file is one sentence naming the lock and the fix", async () => {
  const result = await hotpatch(["target", "prepare"], { env: { HOTPATCH_CACHE: aFile } });
  assertUserError(
    result,
    /^Cannot take the lock on target debian:6\.1\.0-50-amd64 \(.*\): a part of its path is not a directory; set HOTPATCH_CACHE to a directory this user can write\.$/,
  );
});
