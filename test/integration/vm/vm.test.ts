// SPDX-License-Identifier: GPL-2.0-only
// The VM on the real target kernel (debian:6.1.0-50-amd64, prepared on first use): the CLI's
// output and exit status, streaming, the host's userland in the guest (node, this checkout's
// CLI), the writable directory, and every way a run can fail (timeout, panic, a bad module,
// an interrupted hotpatch), each leaving no QEMU behind.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { UserError } from "../../../src/errors/user-error.ts";
import type { TargetPaths } from "../../../src/kernel/target-layout.ts";
import { runInTargetVm } from "../../../src/kernel/target-vm.ts";
import { hotpatch, hotpatchBin, repoRoot } from "../../helpers/cli.ts";
import { isAlive, qemuChildrenOf } from "../../helpers/processes.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { ensureTarget } from "../../helpers/target.ts";

let target: TargetPaths;
const scratch = scratchDir("hotpatch-vm-it");

before(async () => {
  target = await ensureTarget();
});

test("hotpatch vm -- cat /proc/version prints the target kernel's version", async () => {
  const result = await hotpatch(["vm", "--target", "debian:6.1.0-50-amd64", "--", "cat", "/proc/version"]);
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(result.stdout, /^Linux version 6\.1\.0-50-amd64 .*Debian 6\.1\.176-1/);
  assert.doesNotMatch(result.stdout, /\r|\[\s+\d+\.\d+\]/, "no carriage returns, no kernel log lines");
  assert.match(result.stderr, /booted in \d+\.\d s \(tcg\)/);
});

test("hotpatch vm exits with the command's status", async () => {
  const result = await hotpatch(["vm", "--", "sh", "-c", "echo out; echo err >&2; exit 7"]);
  assert.equal(result.exitCode, 7);
  assert.equal(result.stdout, "out\nerr");
});

test("output streams, stays apart from the console; node, hotpatch, user namespaces and the writable dir work in the guest", async () => {
  const writable = mkdtempSync(join(scratch, "rw-"));
  const script = [
    "echo first",
    "echo kmsg-from-the-test > /dev/kmsg",
    'echo "cwd=$(pwd)"',
    'echo "node=$(node --version)"',
    'echo "hotpatch=$(hotpatch --version)"',
    `echo written-in-the-guest > "$1/file"`,
    "touch /etc/overlay-write-works && echo overlay=ok",
    // The command runs at the root of its mount namespace, not chrooted: user namespaces work,
    // for root and for an unprivileged user (what many security checks need).
    'echo "userns=$(unshare -Ur id 2>&1)"',
    'echo "userns-nobody=$(setpriv --reuid 65534 --regid 65534 --clear-groups unshare -Ur id -u 2>&1)"',
    "sleep 1",
    "echo second",
  ].join("\n");
  const chunks: string[] = [];
  const result = await runInTargetVm(target, {
    command: ["sh", "-c", script, "sh", writable],
    writableDir: writable,
    onOutput: (chunk) => chunks.push(chunk),
  });
  assert.equal(result.exitCode, 0, result.output);
  const lines = result.output.trimEnd().split("\n");
  assert.equal(lines[0], "first");
  assert.equal(lines.at(-1), "second");
  assert.ok(lines.includes(`cwd=${process.cwd()}`), "the command starts in the host's cwd");
  assert.ok(lines.includes(`node=${process.version}`), "the host's node runs in the guest");
  assert.ok(lines.includes("hotpatch=0.1.0"), "this checkout's CLI runs in the guest as `hotpatch`");
  assert.ok(lines.includes("overlay=ok"));
  assert.ok(lines.includes("userns=uid=0(root) gid=0(root) groups=0(root)"), result.output);
  assert.ok(lines.includes("userns-nobody=0"), result.output);
  assert.equal(readFileSync(join(writable, "file"), "utf8"), "written-in-the-guest\n");
  // Streaming: "first" was delivered in an earlier chunk than the one that completed "second".
  const seenAfter = chunks.map((_, i) => chunks.slice(0, i + 1).join(""));
  const firstChunk = seenAfter.findIndex((text) => text.includes("first"));
  const secondChunk = seenAfter.findIndex((text) => text.includes("second"));
  assert.ok(firstChunk >= 0 && secondChunk > firstChunk, `chunks: ${JSON.stringify(chunks)}`);
  assert.equal(chunks.join(""), result.output);
  // Kernel messages go to the console, not to the command's output.
  assert.match(result.console, /kmsg-from-the-test/);
  assert.doesNotMatch(result.output, /kmsg-from-the-test/);
  assert.match(result.console, /Linux version 6\.1\.0-50-amd64/);
  assert.ok(result.bootMs > 0 && result.bootMs <= result.durationMs);
  assert.deepEqual(qemuChildrenOf(process.pid), []);
});

test("the default boot runs the kernel at its link-time address; --kaslr boots the compressed image", async () => {
  const textOf = (output: string) => /^([0-9a-f]{16}) T _text$/m.exec(output)?.[1];
  const command = ["grep", "-m1", " _text$", "/proc/kallsyms"];
  const direct = await runInTargetVm(target, { command });
  assert.equal(textOf(direct.output), "ffffffff81000000", direct.output);
  const compressed = await hotpatch(["vm", "--kaslr", "--", ...command]);
  assert.equal(compressed.exitCode, 0, compressed.stderr);
  // (The random base may, rarely, be the default one: only check that it booted and read it.)
  assert.ok(textOf(compressed.stdout), compressed.stdout);
});

test("a timeout is a UserError with console lines, and kills QEMU", async () => {
  const run = runInTargetVm(target, { command: ["sleep", "600"], timeoutSec: 20 });
  await assert.rejects(run, (error: Error) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /did not finish within 20 s and was killed/);
    // The details are the console's tail, under a line naming the file that holds all of it.
    const saved = /full console: (.*)\):$/.exec(error.details[0] ?? "")?.[1];
    assert.ok(saved, `the full console's path is given: ${error.details[0]}`);
    assert.match(readFileSync(saved, "utf8"), /Linux version 6\.1\.0-50-amd64/);
    assert.ok(error.details.length > 1);
    return true;
  });
  assert.deepEqual(qemuChildrenOf(process.pid), []);
});

test("a guest panic is reported as a panic with the console's last lines", async () => {
  await assert.rejects(
    runInTargetVm(target, { command: ["sh", "-c", "echo c > /proc/sysrq-trigger; sleep 60"] }),
    (error: Error) => {
      assert.ok(error instanceof UserError);
      assert.match(
        error.message,
        /The guest kernel panicked: .*Kernel panic - not syncing: sysrq triggered crash/,
      );
      // The tail of the oops: its end marker, not a given frame (how many unreliable '?' frames
      // the trace holds varies, and with it which frames fall within the last lines).
      assert.ok(
        error.details.some((line) => /<\/TASK>|Kernel Offset/.test(line)),
        error.details.join("\n"),
      );
      assert.ok(error.details.length >= 20 && error.details.length <= 31);
      return true;
    },
  );
  assert.deepEqual(qemuChildrenOf(process.pid), []);
});

test("a module that does not load is a UserError naming it", async () => {
  const notAModule = join(scratch, "not-a-module.ko");
  writeFileSync(notAModule, "this is not an ELF file\n");
  const result = await hotpatch(["vm", "--module", notAModule, "--", "true"]);
  assert.equal(result.exitCode, 1);
  assert.match(result.stderr, new RegExp(`Loading ${notAModule} in the VM failed`));
});

test("SIGTERM to 'hotpatch vm' kills its QEMU", async () => {
  const cli = spawn(process.execPath, [hotpatchBin, "vm", "--", "sleep", "600"], {
    cwd: repoRoot,
    stdio: "ignore",
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    cli.on("exit", (_code, signal) => resolve(signal)),
  );
  let qemu: number[] = [];
  for (let i = 0; i < 400 && qemu.length === 0; i++) {
    await sleep(50);
    qemu = qemuChildrenOf(cli.pid ?? -1);
  }
  assert.equal(qemu.length, 1, "hotpatch vm started one QEMU");
  await sleep(1000); // let the guest get going
  cli.kill("SIGTERM");
  assert.equal(await exited, "SIGTERM");
  for (let i = 0; i < 100 && qemu.some(isAlive); i++) await sleep(50);
  assert.deepEqual(qemu.filter(isAlive), [], "no QEMU left behind");
});
