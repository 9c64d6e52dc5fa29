// SPDX-License-Identifier: GPL-2.0-only
// An update from two trees on the real target: the target's own source (linux-source-6.1
// 6.1.176-1) against Debian's 6.1.187-1, restricted with --paths, split into fixes of files
// that belong together, built into one module and proven in a VM; --write-series writes the
// same split for review and stops; bad --paths is one sentence.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import type { TargetPaths } from "../../../src/kernel/target-layout.ts";
import { hotpatch } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { ensureTarget } from "../../helpers/target.ts";
import { type BuildJson, checksDir, compileCheck, SIOCATMARK_CHECK, TARGET, verifyOk } from "./helpers.ts";

const NEWER = "debian:6.1.187-1";
const scratch = scratchDir("hotpatch-update");
let target: TargetPaths;

interface UpdateJson {
  from: string;
  to: string;
  files: { changed: number };
  notBuilt: string[];
  chosen?: string[];
  pulledIn: Array<{ path: string; neededBy: string[]; names: string[] }>;
  split: Array<{ fix: string; files: string[] }>;
  series: string;
  changelog: Array<{ version: string; items: Array<{ text: string; cves: string[] }> }>;
}

type Report = BuildJson & {
  update: UpdateJson;
  fixes: Array<{ fix: string; verdict: string; functions: string[] }>;
};

before(async () => {
  target = await ensureTarget();
});

test("--new-source debian:6.1.187-1 --paths af_unix.c af_qrtr.c: one module with both files' changes, proven in the VM", async () => {
  const ko = join(scratch, "update.ko");
  const r = await hotpatch([
    ...["build", "--target", TARGET, "--new-source", NEWER],
    ...["--paths", "net/unix/af_unix.c", "net/qrtr/af_qrtr.c", "-o", ko, "--json"],
  ]);
  assert.equal(r.exitCode, 0, r.stderr);
  const report = JSON.parse(r.stdout) as Report;
  assert.equal(report.update.from, "linux-source-6.1 6.1.176-1");
  assert.deepEqual(report.update.chosen, ["net/qrtr/af_qrtr.c", "net/unix/af_unix.c"]);
  // af_unix.c's changes use a helper another changed file adds: that file comes along, named.
  assert.ok(
    report.update.pulledIn.every((p) => p.names.length > 0 && p.neededBy.length > 0),
    JSON.stringify(report.update.pulledIn),
  );
  assert.ok(report.update.files.changed > 1000, "the whole difference was compared");
  assert.ok(
    report.fixes.every((f) => f.verdict === "included"),
    JSON.stringify(report.fixes),
  );
  const names = report.functions.map((f) => `${f.object}:${f.name}`);
  assert.ok(names.includes("vmlinux:unix_ioctl"), names.join(" ")); // the SIOCATMARK fix
  assert.ok(
    names.some((n) => n.startsWith("qrtr:")),
    names.join(" "),
  );
  // A function's reasons name only what its own unit compiles.
  for (const f of report.functions.filter((f) => f.object === "vmlinux"))
    assert.ok(!f.reasons.some((why) => /qrtr/.test(why)), `${f.name}: ${f.reasons.join("; ")}`);
  assert.ok(report.update.changelog.some((e) => e.version === "6.1.187-1"));
  const siocatmark = await compileCheck(SIOCATMARK_CHECK, scratch);
  const loadQrtr = `bash ${join(checksDir, "load-module.sh")} ${target.modulesDir} qrtr ${report.name}`;
  const verified = await verifyOk(ko, `${siocatmark} && ${loadQrtr}`);
  assert.match(verified.checkOutput, new RegExp(`${report.name}/qrtr patched=1`));
});

test("--write-series writes the split as patches and a quilt series, and builds nothing", async () => {
  const dir = join(scratchDir("hotpatch-update-series"), "series-out");
  const r = await hotpatch([
    ...["build", "--target", TARGET, "--new-source", NEWER],
    ...["--paths", "net/unix/af_unix.c", "--write-series", dir, "--json"],
  ]);
  assert.equal(r.exitCode, 0, r.stderr);
  const written = JSON.parse(r.stdout) as {
    update: UpdateJson;
    fixes: Array<{ fix: string; sha256: string }>;
  };
  const series = readFileSync(join(dir, "series"), "utf8")
    .split("\n")
    .filter((l) => l && !l.startsWith("#"));
  assert.deepEqual(
    series,
    written.fixes.map((f) => f.fix),
  );
  for (const p of series) assert.ok(existsSync(join(dir, p)), p);
  const files = written.update.split.flatMap((s) => s.files);
  assert.ok(files.includes("net/unix/af_unix.c"), files.join(" "));
  const cves = written.update.changelog.flatMap((e) => e.items.flatMap((i) => i.cves));
  assert.ok(cves.length > 10, "the changelog entries carry their CVE ids");
  assert.match(r.stderr, /compare the target's source with/);
});

test("--paths outside the tree, or naming nothing in either tree, is one sentence", async () => {
  const outside = await hotpatch(["build", "--target", TARGET, "--new-source", NEWER, "--paths", "../etc"]);
  assert.equal(outside.exitCode, 1);
  assert.match(outside.stderr, /--paths \.\.\/etc is not a path inside the kernel tree\./);
  const missing = await hotpatch([
    "build",
    "--target",
    TARGET,
    "--new-source",
    NEWER,
    "--paths",
    "net/nowhere.c",
  ]);
  assert.equal(missing.exitCode, 1);
  assert.match(missing.stderr, /--paths net\/nowhere\.c names no file or directory of either tree\./);
  const both = await hotpatch(["build", "--target", TARGET, "fixes/x.patch", "--new-source", NEWER]);
  assert.equal(both.exitCode, 1);
  assert.match(both.stderr, /Give either fixes or --new-source, not both\./);
});
