// SPDX-License-Identifier: GPL-2.0-only
// A prepared target booted in the VM harness: its vmlinuz (and extracted vmlinux), its modules
// and its release filled in from the target's paths. Here rather than in src/vm so that the VM
// harness does not depend on target layouts (kernel -> vm, never back).
import { basename } from "node:path";
import { runInVm, type VmOptions, type VmResult } from "../vm/index.ts";
import { targetFamily } from "./family.ts";
import type { TargetPaths } from "./target-layout.ts";

/** runInVm on a prepared target; one vCPU for kernels whose transitions rewrite cond_resched
 * call sites (src/kernel/family.ts). */
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
