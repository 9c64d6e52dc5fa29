// SPDX-License-Identifier: GPL-2.0-only
// Real fixes from Debian's later 6.1 kernels (fs/, kernel/, mm/, drivers/, headers),
// regenerated against the target's source, that once broke hotpatch
// (docs/real-fix-sweep-core.md): each is built, and verified in a VM of debian:6.1.0-50-amd64
// or refused for the right reason.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, test } from "node:test";
import type { TargetPaths } from "../../../src/kernel/target-layout.ts";
import { hotpatch, repoRoot } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { ensureTarget } from "../../helpers/target.ts";
import { buildFix, buildRefused, checksDir, compileCheck, fixesDir, TARGET, verifyOk } from "./helpers.ts";

let target: TargetPaths;
const scratch = scratchDir("hotpatch-real-core");

before(async () => {
  target = await ensureTarget();
});

test("fsmount SB_NOUSER (a SYSCALL_DEFINE body): __do_sys_fsmount has no __fentry__, so it is carried and the syscall wrappers are replaced", async () => {
  const check = await compileCheck("fsmount-nouser.c", scratch);
  const unfixed = await hotpatch(["vm", "--target", TARGET, "--", check]);
  assert.notEqual(unfixed.exitCode, 0, "the check must fail on the unfixed kernel");
  assert.match(unfixed.stdout + unfixed.stderr, /fsmount\(bdev\) succeeded/);
  const ko = join(scratch, "fsmount.ko");
  const report = await buildFix(join(fixesDir, "fsmount-nouser-syscall.patch"), ko);
  const status = Object.fromEntries(report.functions.map((f) => [f.name, f.status]));
  assert.equal(status.__do_sys_fsmount, "new");
  assert.equal(status.__x64_sys_fsmount, "changed");
  const verified = await verifyOk(ko, check);
  assert.match(verified.checkOutput, /fsmount\(bdev\): Invalid argument/);
});

test("psi (kernel/sched/psi.c, compiled only inside build_utility.o): the including unit is built", async () => {
  const ko = join(scratch, "psi.ko");
  const report = await buildFix(join(fixesDir, "psi-rtpoll-timer-included-c.patch"), ko);
  assert.deepEqual(report.objects, ["vmlinux"]);
  assert.deepEqual(
    report.functions.map((f) => f.name),
    ["psi_cgroup_free"],
  );
  await verifyOk(ko, "true");
});

test("io_edgeport credits (a module whose MODULE_FIRMWARE strings renumber): .modinfo is not refused as data; patched when the module loads", async () => {
  const ko = join(scratch, "io_edgeport.ko");
  const report = await buildFix(join(fixesDir, "io_edgeport-credits-modinfo.patch"), ko, [
    "--name",
    "hp_edgeport",
  ]);
  assert.deepEqual(report.objects, ["io_edgeport"]);
  const check = `bash ${join(checksDir, "load-module.sh")} ${target.modulesDir} io_edgeport hp_edgeport`;
  const verified = await verifyOk(ko, check);
  assert.match(verified.checkOutput, /hp_edgeport\/io_edgeport patched=1/);
});

test("ext4 inline size (module): a changed out-of-line copy of a header inline (no __fentry__) is carried with its callers", async () => {
  const ko = join(scratch, "ext4.ko");
  const report = await buildFix(join(fixesDir, "ext4-inline-size-header-inline-copy.patch"), ko, [
    "--name",
    "hp_ext4",
  ]);
  assert.deepEqual(report.objects, ["ext4"]);
  const carried = report.functions.find((f) => f.name.startsWith("zero_user_segments"));
  assert.equal(carried?.status, "new");
  const check = `bash ${join(checksDir, "load-module.sh")} ${target.modulesDir} ext4 hp_ext4`;
  const verified = await verifyOk(ko, check);
  assert.match(verified.checkOutput, /hp_ext4\/ext4 patched=1/);
});

test("fwnode_init (a static inline in a header 20,000 files include): only its callers are built; the __init one is refused", async () => {
  const stderr = await buildRefused(
    join(fixesDir, "fwnode-init-header-inline.patch"),
    join(scratch, "fwnode.ko"),
  );
  assert.doesNotMatch(stderr, /hotpatch rebuilds at most/);
  assert.match(stderr, /init-code/);
});

test("bpffs free_inode (an ops table gains a member): refused as unsafe-data, existing mounts would keep the old table", async () => {
  const stderr = await buildRefused(
    join(fixesDir, "bpf-inode-ops-table-member.patch"),
    join(scratch, "bpf.ko"),
  );
  assert.match(stderr, /bpf_super_ops: unsafe-data: ops table/);
});

test("audit_tree (a field respelled 'unsigned' -> 'unsigned int'): not a layout change; no function changes", async () => {
  const r = await hotpatch(["build", "--target", TARGET, join(fixesDir, "audit-tree-type-respelled.patch")]);
  assert.equal(r.exitCode, 3, r.stderr);
});

test("a change to the EFI stub (built with its own flags, out of livepatch's reach): refused with its reason", async () => {
  const fix = join(repoRoot, "test", "fixtures", "safety", "47-efi-stub-own-flags-boot-code.patch");
  const stderr = await buildRefused(fix, join(scratch, "libstub.ko"));
  assert.match(stderr, /alignedmem\.o is built with its own compiler flags.*takes effect at the next boot/);
});
