// SPDX-License-Identifier: GPL-2.0-only
// Real fixes from Debian's later 6.1 kernels (net/, crypto/, security/, sound/), regenerated
// against the target's source, that once broke hotpatch (docs/real-fix-sweep-net.md): each
// test builds the fix and verifies it in a VM of debian:6.1.0-50-amd64.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, test } from "node:test";
import type { TargetPaths } from "../../../src/kernel/target-layout.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { ensureTarget } from "../../helpers/target.ts";
import { buildFix, buildRefused, CLEAN_DMESG, checksDir, fixesDir, verifyOk } from "./helpers.ts";

let target: TargetPaths;
const scratch = scratchDir("hotpatch-real-net");

before(async () => {
  target = await ensureTarget();
});

test("af_key (CVE-2026-64436): another module's exports (xfrm_algo) are klp relocations; the livepatch loads alone and patches af_key when it arrives", async () => {
  const ko = join(scratch, "af_key.ko");
  const report = await buildFix(join(fixesDir, "af_key-ipcomp-key-len.patch"), ko, ["--name", "hp_af_key"]);
  assert.deepEqual(report.objects, ["af_key"]);
  assert.ok(
    report.kernelReferences.some(
      (r) => r.kind === "klp" && r.objName === "xfrm_algo" && r.name === "xfrm_calg_get_byid",
    ),
    "xfrm_algo's export is reached through a klp relocation, not a module dependency",
  );
  assert.ok(
    report.klpRelocationSections.every((s) => !s.name.startsWith(".klp.rela.xfrm_algo.")),
    "the relocations go with af_key's sections (the kernel applies only the patch's objects')",
  );
  const check = `bash ${join(checksDir, "load-module.sh")} ${target.modulesDir} af_key hp_af_key`;
  const verified = await verifyOk(ko, check);
  assert.match(verified.checkOutput, /hp_af_key\/af_key patched=1/);
});

test("a header fix that adds a field to a struct (nf_queue_entry) is refused as unsafe data", async () => {
  // Its users (nf_queue.c, nfnetlink_queue.c, ...) compiled and diffed as changed code: the
  // build once produced a livepatch reading new offsets of entries queued with the old layout.
  const stderr = await buildRefused(
    join(fixesDir, "nf_queue-entry-bridge-dev-layout.patch"),
    join(scratch, "nfq.ko"),
  );
  assert.match(
    stderr,
    /struct nf_queue_entry: unsafe-data: the layout of struct nf_queue_entry changed \(size 112 -> 120; member bridge_dev added at offset 40/,
  );
});

test("igmp (CVE-2026-72323, CVE-2026-64423) with a new inline in include/linux/inetdevice.h (610 includers): only igmp.c is built", async () => {
  // The header part adds in_dev_hold_safe(); no existing unit calls it, so the header alone
  // rebuilds nothing (it was refused as "included by 610 source files").
  const ko = join(scratch, "igmp.ko");
  const r = await buildFix(join(fixesDir, "igmp-timer-ref-inetdevice-new-inline.patch"), ko);
  const notes = (r as unknown as { notes: string[] }).notes;
  assert.ok(
    notes.some((n) =>
      /inetdevice\.h: the fix changes .*in_dev_hold_safe.*; of the \d+ built units including it, 0 name them/.test(
        n,
      ),
    ),
    notes.join("\n"),
  );
  assert.deepEqual(r.objects, ["vmlinux"]);
  assert.ok(r.functions.some((f) => f.name === "ip_mc_destroy_dev" && f.status === "changed"));
  await verifyOk(ko, CLEAN_DMESG);
});

test("openvswitch actions.c fixes: the module's own tracepoint in a patched function is left silent instead of refusing the fix", async () => {
  // do_execute_actions() holds trace_ovs_do_execute_action(): a jump label and a static call
  // site on keys of module openvswitch, which the kernel sets up before the module's klp
  // relocations exist. The build refused the fix; now it leaves those two entries out.
  const ko = join(scratch, "ovs.ko");
  const r = await buildFix(join(fixesDir, "openvswitch-actions-module-tracepoint.patch"), ko, [
    "--name",
    "hp_ovs_actions",
  ]);
  assert.deepEqual(r.objects, ["openvswitch"]);
  const notes = (r as unknown as { notes: string[] }).notes;
  assert.ok(
    notes.some((n) => /tracepoint ovs_do_execute_action of module openvswitch does not fire/.test(n)),
  );
  assert.ok(notes.some((n) => /static call tp_func_ovs_do_execute_action .* trampoline/.test(n)));
  const check = `bash ${join(checksDir, "load-module.sh")} ${target.modulesDir} openvswitch hp_ovs_actions && ${CLEAN_DMESG}`;
  const verified = await verifyOk(ko, check);
  assert.match(verified.checkOutput, /hp_ovs_actions\/openvswitch patched=1/);
});
