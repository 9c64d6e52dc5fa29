// SPDX-License-Identifier: GPL-2.0-only
// The VM harness: boot a target's exact kernel in QEMU with the host's userland (9p, read-only,
// under a tmpfs overlay) and run one command in it. See docs/vm.md.
import { basename } from "node:path";
import { targetFamily } from "../kernel/family.ts";
import type { TargetPaths } from "../kernel/target-layout.ts";
import { runInVm } from "./run.ts";
import type { VmOptions, VmResult } from "./types.ts";

export { runInVm } from "./run.ts";
export type { Accel, VmOptions, VmResult } from "./types.ts";

/** runInVm on a prepared target: its vmlinuz (and extracted vmlinux), its modules, its release;
 * one vCPU for kernels whose transitions rewrite cond_resched call sites (src/kernel/family.ts). */
export function runInTargetVm(
  paths: TargetPaths,
  options: Omit<VmOptions, "vmlinuz" | "vmlinux" | "modulesDir" | "release">,
): Promise<VmResult> {
  return runInVm({
    ...(targetFamily(paths).transitionsRewriteCondResched ? { cpus: 1 } : {}),
    ...options,
    vmlinuz: paths.vmlinuz,
    vmlinux: paths.vmlinux,
    modulesDir: paths.modulesDir,
    release: basename(paths.modulesDir),
  });
}
