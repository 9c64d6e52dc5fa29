// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch build` + `hotpatch verify` on the real target (debian:6.1.0-50-amd64): each fix is
// built into a livepatch and proven in a VM of that kernel with a behaviour check that fails
// on the unfixed kernel. Covers: a built-in fix (corpus 01), the cmdline sample as a source diff
// (non-exported data through a klp relocation), a redirected function whose name is not
// unique (sympos), a helper inlined into its caller, a new function, fixes in loadable modules
// loaded after the patch (corpus 12, 15), and the other `auto` corpus fixes.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { execa } from "execa";
import type { TargetPaths } from "../../../src/kernel/target-layout.ts";
import { hotpatch } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { ensureTarget } from "../../helpers/target.ts";
import {
  buildFix,
  CLEAN_DMESG,
  checksDir,
  compileCheck,
  corpusDir,
  fixesDir,
  makeKeyPair,
  SIOCATMARK_CHECK,
  TARGET,
  verify,
  verifyOk,
} from "./helpers.ts";

let target: TargetPaths;
const scratch = scratchDir("hotpatch-build-it");

before(async () => {
  target = await ensureTarget();
});

test("corpus 01 (af_unix SIOCATMARK): builds, and the VM shows datagram sockets refused while patched", async () => {
  const check = await compileCheck(SIOCATMARK_CHECK, scratch);
  const before = await hotpatch(["vm", "--target", TARGET, "--", check]);
  assert.equal(before.exitCode, 1, "the unfixed kernel accepts SIOCATMARK on a datagram socket");
  const ko = join(scratch, "fix01.ko");
  const report = await buildFix(join(corpusDir, "01-af_unix-siocatmark-nonstream.patch"), ko);
  assert.deepEqual(report.objects, ["vmlinux"]);
  assert.deepEqual(
    report.functions.map((f) => [f.name, f.status]),
    [["unix_ioctl", "changed"]],
  );
  const verified = await verifyOk(ko, check);
  assert.match(verified.checkOutput, /EOPNOTSUPP/);
});

test("the same fix on the same target builds the same module, byte for byte", async () => {
  const first = join(scratch, "again-1.ko");
  const second = join(scratch, "again-2.ko");
  await buildFix(join(corpusDir, "01-af_unix-siocatmark-nonstream.patch"), first);
  await buildFix(join(corpusDir, "01-af_unix-siocatmark-nonstream.patch"), second);
  assert.ok(
    readFileSync(first).equals(readFileSync(second)),
    "two builds differ (a path in the debug info?)",
  );
});

test("verify fails, naming the step, when the check fails", async () => {
  const ko = join(scratch, "fix01-again.ko");
  await buildFix(join(corpusDir, "01-af_unix-siocatmark-nonstream.patch"), ko);
  const { exitCode, report, stderr } = await verify(ko, "grep -q never-there /proc/cmdline");
  assert.notEqual(exitCode, 0);
  assert.equal(report.ok, false);
  assert.match(report.failure ?? "", /step 'check' failed/);
  // --json puts the report on stdout; the reason is still one sentence on stderr.
  assert.match(stderr, /hotpatch: Verification of \S+ failed: step 'check' failed/);
});

test("the cmdline sample as a source diff: non-exported saved_command_line through a klp relocation", async () => {
  const ko = join(scratch, "cmdline.ko");
  const report = await buildFix(join(fixesDir, "cmdline-sample.patch"), ko, ["--name", "hp_cmdline_sample"]);
  assert.ok(
    report.kernelReferences.some(
      (r) => r.kind === "klp" && r.name === "saved_command_line" && r.objName === "vmlinux",
    ),
  );
  assert.ok(report.klpRelocationSections.some((s) => s.name === ".klp.rela.vmlinux..text.cmdline_proc_show"));
  await verifyOk(ko, "grep -q ' hotpatched$' /proc/cmdline");
});

test("a static function whose name is not unique in kallsyms is redirected by sympos (fs/proc/fd.c seq_show)", async () => {
  const ko = join(scratch, "fdinfo.ko");
  const report = await buildFix(join(fixesDir, "fdinfo-sympos.patch"), ko);
  const fn = report.functions.find((f) => f.name === "seq_show");
  assert.equal(fn?.sympos, 1, "seq_show appears twice in kallsyms; fs/proc/fd.c's is the first");
  await verifyOk(ko, "grep -q '^hotpatch:' /proc/self/fdinfo/0");
});

test("a change to an inlined helper patches its caller (show_val_kb inlined into meminfo_proc_show)", async () => {
  const ko = join(scratch, "meminfo.ko");
  const report = await buildFix(join(fixesDir, "meminfo-inlined-helper.patch"), ko);
  assert.ok(
    report.functions.some(
      (f) =>
        f.name === "meminfo_proc_show" && f.status === "changed" && f.reasons.includes("inlines show_val_kb"),
    ),
  );
  assert.ok(
    !report.functions.some((f) => f.name === "show_val_kb"),
    "the inlined helper has no symbol of its own",
  );
  await verifyOk(ko, "grep -q '^MemTotal: .* KB$' /proc/meminfo");
});

test("a fix adding a new function carries it and redirects only its caller", async () => {
  const ko = join(scratch, "newfn.ko");
  const report = await buildFix(join(fixesDir, "cmdline-new-function.patch"), ko);
  assert.deepEqual(report.functions.map((f) => [f.name, f.status]).sort(), [
    ["cmdline_append_note", "new"],
    ["cmdline_proc_show", "changed"],
  ]);
  await verifyOk(ko, "grep -q ' \\[hotpatch\\]$' /proc/cmdline");
});

test("corpus 12 (binfmt_misc, a module loaded after the patch): the flag delimiter is refused", async () => {
  const ko = join(scratch, "fix12.ko");
  const report = await buildFix(join(corpusDir, "12-binfmt-misc-reject-flag-delimiter.patch"), ko);
  assert.deepEqual(report.objects, ["binfmt_misc"]);
  assert.ok(report.kernelReferences.some((r) => r.kind === "klp" && r.objName === "binfmt_misc"));
  assert.ok(
    report.warnings.some((w) => /6\.3/.test(w)),
    "the 6.1 module reload trap is reported",
  );
  const check = `sh ${join(checksDir, "binfmt-misc-delimiter.sh")} ${target.modulesDir}`;
  const unfixed = await hotpatch(["vm", "--target", TARGET, "--", "bash", "-c", check]);
  assert.equal(unfixed.exitCode, 1, "the unfixed kernel accepts the register line");
  await verifyOk(ko, check);
});

test("corpus 15 (sctp, a module loaded after the patch): the 17th auth chunk type is refused", async () => {
  const check = await compileCheck("sctp-auth-chunks.c", scratch);
  const ko = join(scratch, "fix15.ko");
  const report = await buildFix(join(corpusDir, "15-sctp-auth-chunk-list-capacity.patch"), ko);
  assert.deepEqual(report.objects, ["sctp"]);
  const command = `sh ${join(checksDir, "load-sctp.sh")} ${target.modulesDir} ${check}`;
  const unfixed = await hotpatch(["vm", "--target", TARGET, "--", "bash", "-c", command]);
  assert.equal(unfixed.exitCode, 1, "the unfixed kernel accepts a 17th chunk type");
  const verified = await verifyOk(ko, command);
  assert.match(verified.checkOutput, /number 17\) refused/);
});

for (const [id, file] of [
  ["04", "04-fib-trie-insert-err-kfree-rcu.patch"],
  ["20", "20-ndisc-accept-untracked-na-null-idev.patch"],
] as const) {
  test(`corpus ${id} (auto) builds and verifies with a clean kernel log`, async () => {
    const ko = join(scratch, `fix${id}.ko`);
    const report = await buildFix(join(corpusDir, file), ko);
    assert.ok(report.functions.some((f) => f.status === "changed"));
    await verifyOk(ko, CLEAN_DMESG);
  });
}

test("--sign-key/--sign-cert sign the final module (after the klp rewrite) and it still loads", async () => {
  const key = join(scratch, "signing.pem");
  const cert = join(scratch, "signing.x509");
  await makeKeyPair("hotpatch test key", key, cert);
  const ko = join(scratch, "signed.ko");
  await buildFix(join(fixesDir, "cmdline-sample.patch"), ko, [
    "--name",
    "hp_signed",
    "--sign-key",
    key,
    "--sign-cert",
    cert,
  ]);
  const bytes = readFileSync(ko);
  assert.equal(bytes.subarray(bytes.length - 28).toString("latin1"), "~Module signature appended~\n");
  const { stdout } = await execa("modinfo", ["-F", "signer", ko]);
  assert.equal(stdout.trim(), "hotpatch test key");
  await verifyOk(ko, "grep -q ' hotpatched$' /proc/cmdline");
});

test("corpus 25 (rsa-pkcs1pad): an empty digest no longer WARNs while patched", async () => {
  const helper = await compileCheck("pkey-verify-empty-digest.c", scratch);
  const cert = join(scratch, "rsa.der");
  await makeKeyPair("hp", join(scratch, "rsa.pem"), cert);
  const check = `${helper} ${cert} && ! dmesg | grep 'WARNING:.*pkcs1pad_verify'`;
  const unfixed = await hotpatch(["vm", "--target", TARGET, "--", "bash", "-c", check]);
  assert.notEqual(unfixed.exitCode, 0, "the unfixed kernel WARNs on an empty digest");
  const ko = join(scratch, "fix25.ko");
  const report = await buildFix(join(corpusDir, "25-rsa-pkcs1pad-no-warn-empty-digest.patch"), ko);
  assert.ok(report.functions.some((f) => f.name === "pkcs1pad_verify" && f.status === "changed"));
  await verifyOk(ko, check);
});

test("replace mode retires the earlier livepatch; --no-replace stacks on it", async () => {
  const first = join(scratch, "first.ko");
  const second = join(scratch, "second.ko");
  const stacked = join(scratch, "stacked.ko");
  await buildFix(join(fixesDir, "cmdline-sample.patch"), first, ["--name", "hp_first"]);
  await buildFix(join(corpusDir, "01-af_unix-siocatmark-nonstream.patch"), second, ["--name", "hp_second"]);
  await buildFix(join(corpusDir, "01-af_unix-siocatmark-nonstream.patch"), stacked, [
    "--name",
    "hp_stacked",
    "--no-replace",
  ]);
  // One transition at a time: load, wait until no patch is in transition, load the next.
  const script = [
    "settle() { for i in $(seq 150); do grep -q 1 /sys/kernel/livepatch/*/transition 2>/dev/null || return 0; sleep 0.2; done; return 1; }",
    'insmod "$1" && settle && insmod "$2" && settle && sleep 1 && ls /sys/kernel/livepatch && grep -c hotpatched /proc/cmdline',
  ].join("\n");
  const replaced = await hotpatch([
    "vm",
    "--target",
    TARGET,
    "--",
    "bash",
    "-c",
    script,
    "sh",
    first,
    second,
  ]);
  assert.deepEqual(
    replaced.stdout.trim().split(/\s+/),
    ["hp_second", "0"],
    `hp_first was replaced and its change reverted\n${replaced.stderr}`,
  );
  const both = await hotpatch(["vm", "--target", TARGET, "--", "bash", "-c", script, "sh", first, stacked]);
  assert.equal(both.exitCode, 0, both.stderr);
  assert.deepEqual(
    both.stdout.trim().split(/\s+/),
    ["hp_first", "hp_stacked", "1"],
    "both patches stay active",
  );
});

test("WARN_ONCE/pr_warn_once, pr_debug (dynamic debug jump label) and a new static local travel with the function", async () => {
  const check = await compileCheck(SIOCATMARK_CHECK, scratch);
  const ko = join(scratch, "once.ko");
  const report = await buildFix(join(fixesDir, "af_unix-once-debug-static.patch"), ko);
  assert.deepEqual(
    report.functions.map((f) => f.name),
    ["unix_ioctl"],
  );
  const verified = await verifyOk(
    ko,
    [
      "echo 'format \"refusal number\" +p' > /proc/dynamic_debug/control",
      `${check} && ${check}`,
      "dmesg | grep 'hotpatch: SIOCATMARK'",
      "[ $(dmesg | grep -c 'refused on a non-stream') = 1 ]",
      "dmesg | grep -q 'refusal number 2'",
      "! dmesg | grep -q 'WARNING:'",
    ].join(" && "),
  );
  assert.match(verified.checkOutput, /refusal number 2/);
});
