// SPDX-License-Identifier: GPL-2.0-only
// The VM harness: boot a kernel in QEMU with the host's userland (9p, read-only, under a tmpfs
// overlay) and run one command in it. See docs/vm.md. It knows nothing of targets (the kernel
// side boots a prepared target through it: src/kernel/target-vm.ts), so the dependency between
// src/kernel and src/vm points one way, kernel -> vm.
export { runInVm } from "./run.ts";
export type { Accel, VmOptions, VmResult } from "./types.ts";
