// SPDX-License-Identifier: GPL-2.0-only
// Several fixes, one livepatch, on the real target: the report gives each fix its verdict, a
// refused fix is left out (and so is a later fix that only applies on top of it), and fixes
// that span units (a new function of one unit called from another, vmlinux or a module) are
// built into one module and proven in a VM.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import type { TargetPaths } from "../../../src/kernel/target-layout.ts";
import { hotpatch } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { ensureTarget } from "../../helpers/target.ts";
import {
  type BuildJson,
  checksDir,
  compileCheck,
  corpusDir,
  fixesDir,
  SIOCATMARK_CHECK,
  TARGET,
  verifyOk,
} from "./helpers.ts";

const scratch = scratchDir("hotpatch-series");
let target: TargetPaths;

before(async () => {
  target = await ensureTarget();
});

interface SeriesJson extends BuildJson {
  fixes: Array<{ fix: string; sha256: string; verdict: string; reasons: string[]; functions: string[] }>;
  refused: Array<{ name: string; kind: string; fixes: string[] }>;
}

async function build(args: string[], out: string) {
  const r = await hotpatch(["build", "--target", TARGET, ...args, "-o", out, "--json"]);
  return { ...r, report: r.stdout ? (JSON.parse(r.stdout) as SeriesJson) : undefined };
}

function verdicts(report: SeriesJson | undefined): Array<[string, string]> {
  return (report?.fixes ?? []).map((f) => [f.fix, f.verdict]);
}

test("three fixes, one unsafe: one module carries the two safe ones, the VM proves both", async () => {
  const ko = join(scratch, "three.ko");
  const { exitCode, stderr, report } = await build(
    [
      join(corpusDir, "01-af_unix-siocatmark-nonstream.patch"),
      join(corpusDir, "15-sctp-auth-chunk-list-capacity.patch"),
      join(corpusDir, "24-tcp-reordering-sysctl-bounds.patch"),
    ],
    ko,
  );
  assert.equal(exitCode, 0, stderr);
  assert.deepEqual(verdicts(report), [
    ["01-af_unix-siocatmark-nonstream.patch", "included"],
    ["15-sctp-auth-chunk-list-capacity.patch", "included"],
    ["24-tcp-reordering-sysctl-bounds.patch", "refused"],
  ]);
  assert.deepEqual(report?.fixes[0]?.functions, ["unix_ioctl"]);
  assert.deepEqual(report?.fixes[1]?.functions, ["sctp_auth_ep_add_chunkid"]);
  assert.match(report?.fixes[2]?.reasons.join(" ") ?? "", /ipv4_net_table/);
  assert.ok(report?.refused.some((r) => r.kind === "unsafe-data" && r.fixes[0]?.startsWith("24-")));
  assert.deepEqual([...(report?.objects ?? [])].sort(), ["sctp", "vmlinux"]);
  const siocatmark = await compileCheck(SIOCATMARK_CHECK, scratch);
  const sctp = await compileCheck("sctp-auth-chunks.c", scratch);
  const verified = await verifyOk(
    ko,
    `${siocatmark} && sh ${join(checksDir, "load-sctp.sh")} ${target.modulesDir} ${sctp}`,
  );
  assert.match(verified.checkOutput, /EOPNOTSUPP/);
  assert.match(verified.checkOutput, /number 17\) refused/);
});

test("a series file: a fix that applies only on top of a refused one is left out naming it; --strict fails", async () => {
  const dir = scratchDir("hotpatch-series-file");
  const series = join(dir, "series");
  writeFileSync(
    series,
    [
      "# this week's update",
      join(corpusDir, "01-af_unix-siocatmark-nonstream.patch"),
      join(corpusDir, "24-tcp-reordering-sysctl-bounds.patch"),
      join(fixesDir, "series-after-24-tcp-mtu-probe.patch"),
      "",
    ].join("\n"),
  );
  const { exitCode, stderr, report } = await build([series], join(scratch, "series.ko"));
  assert.equal(exitCode, 0, stderr);
  assert.deepEqual(verdicts(report), [
    ["01-af_unix-siocatmark-nonstream.patch", "included"],
    ["24-tcp-reordering-sysctl-bounds.patch", "refused"],
    ["series-after-24-tcp-mtu-probe.patch", "not-applied"],
  ]);
  assert.match(
    report?.fixes[2]?.reasons[0] ?? "",
    /depends on refused fix 24-tcp-reordering-sysctl-bounds\.patch/,
  );
  assert.match(report?.name ?? "", /^hp_[a-z0-9_]+_[0-9a-f]{8}$/);
  const strict = await build([series, "--strict"], join(scratch, "strict.ko"));
  assert.equal(strict.exitCode, 2);
  assert.match(strict.stderr, /cannot be live-patched safely/);
});

test("a new function of one unit called from another unit and from a module loaded later: built and proven in the VM", async () => {
  const ko = join(scratch, "cross.ko");
  const { exitCode, stderr, report } = await build(
    [
      join(fixesDir, "cross-unit-new-helper.patch"),
      join(fixesDir, "cross-unit-module-calls-core-helper.patch"),
    ],
    ko,
  );
  assert.equal(exitCode, 0, stderr);
  assert.deepEqual(verdicts(report), [
    ["cross-unit-new-helper.patch", "included"],
    ["cross-unit-module-calls-core-helper.patch", "included"],
  ]);
  const functions = (report?.functions ?? []).map((f) => [f.name, f.object, f.status]).sort();
  assert.deepEqual(functions, [
    ["bm_status_read", "binfmt_misc", "changed"],
    ["cmdline_proc_show", "vmlinux", "changed"],
    ["proc_banner_note", "vmlinux", "new"],
  ]);
  await verifyOk(
    ko,
    `grep -q 'hotpatch-cross-unit' /proc/cmdline && sh ${join(checksDir, "binfmt-misc-status-note.sh")} ${target.modulesDir}`,
  );
});

test("vmlinux code calling a new function of a module unit is refused: the module may not be loaded", async () => {
  const { exitCode, stderr } = await build(
    [join(fixesDir, "cross-unit-module-helper-from-vmlinux.patch")],
    join(scratch, "refused.ko"),
  );
  assert.equal(exitCode, 2, stderr);
  assert.match(
    stderr,
    /binfmt_misc_note is new in fs\/binfmt_misc\.c \(module binfmt_misc\) but called from fs\/proc\/cmdline\.c/,
  );
});
