// SPDX-License-Identifier: GPL-2.0-only
// Crafted fixes for shapes real fixes take but the sampled ones did not: each is a small,
// plausible change to the target's real source, built and verified in a VM of
// debian:6.1.0-50-amd64 with a check that fails when the patch is wrong.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, test } from "node:test";
import { execa } from "execa";
import type { TargetPaths } from "../../../src/kernel/target-layout.ts";
import { hotpatch } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { ensureTarget } from "../../helpers/target.ts";
import { buildFix, checksDir, compileCheck, fixesDir, TARGET, verifyOk } from "./helpers.ts";

let target: TargetPaths;
const scratch = scratchDir("hotpatch-crafted");

before(async () => {
  target = await ensureTarget();
});

test("xfs agfl size (module): XFS_IS_CORRUPT's __LINE__ is pushed 7th; the 3 lines the fix adds move it in every function below without changing them", async () => {
  const ko = join(scratch, "xfs.ko");
  const report = await buildFix(join(fixesDir, "xfs-agfl-size-line-shift.patch"), ko, ["--name", "hp_xfs"]);
  assert.deepEqual(report.objects, ["xfs"]);
  // The edited function and the functions it is inlined into; not the dozen functions below it
  // whose only difference is a moved line number (xfs_free_ag_extent, xfs_alloc_fixup_trees, ...).
  assert.deepEqual(report.functions.map((f) => f.name).sort(), [
    "xfs_agf_verify",
    "xfs_agfl_size",
    "xfs_agfl_verify",
    "xfs_agfl_walk",
    "xfs_alloc_fix_freelist",
    "xfs_alloc_get_freelist",
    "xfs_alloc_put_freelist",
    "xfs_alloc_read_agf",
  ]);
  const moved = report.ignored.find((i) => i.name === "xfs_free_ag_extent");
  assert.match(
    moved?.reason ?? "",
    /only line numbers the fix moved changed \(built with the old line numbers, the code is the same\)/,
  );
  const inliner = report.functions.find((f) => f.name === "xfs_agfl_walk");
  assert.deepEqual(inliner?.reasons, ["inlines xfs_agfl_size"]);
  const check = `bash ${join(checksDir, "load-module.sh")} ${target.modulesDir} xfs hp_xfs`;
  const verified = await verifyOk(ko, check);
  assert.match(verified.checkOutput, /hp_xfs\/xfs patched=1/);
});

test("filldir64 (user access: stac/clac alternatives, exception-table fix-ups): the patched copy hides an entry and still turns a fault into EFAULT", async () => {
  const check = await compileCheck("getdents-hidden.c", scratch);
  const unfixed = await hotpatch(["vm", "--target", TARGET, "--", check]);
  assert.notEqual(unfixed.exitCode, 0, "the check must fail on the unfixed kernel");
  assert.match(unfixed.stdout, /hotpatch-hidden=1/);
  const ko = join(scratch, "readdir.ko");
  const report = await buildFix(join(fixesDir, "readdir-hide-entry-user-access.patch"), ko);
  assert.deepEqual(
    report.functions.map((f) => f.name),
    ["filldir64"],
  );
  // The patched copy carries its own alternatives (stac/clac) and exception-table entries.
  const sections = (await execa("readelf", ["-SW", ko])).stdout;
  assert.match(sections, / \.altinstructions /);
  assert.match(sections, / __ex_table /);
  const verified = await verifyOk(ko, check);
  assert.match(verified.checkOutput, /unmapped buffer: -1 \(Bad address\)/);
  assert.match(verified.checkOutput, /visible=1 hotpatch-hidden=0/);
});
