// SPDX-License-Identifier: GPL-2.0-only
// Processes seen through /proc, for the VM tests (real and fake QEMU): is a pid alive, and
// which QEMU processes or tools a run left behind.
import { readFileSync } from "node:fs";
import { isLive, isPidAlive, listProcesses } from "../../src/util/processes.ts";

/** Pids of live (non-zombie) qemu-system processes whose parent is `parentPid`. */
export function qemuChildrenOf(parentPid: number): number[] {
  return listProcesses()
    .filter((p) => p.comm.startsWith("qemu-system") && isLive(p) && p.ppid === parentPid)
    .map((p) => p.pid);
}

/** Whether `pid` runs: a zombie (exited, not yet reaped) counts as dead. */
export const isAlive = isPidAlive;

/** Pids of live processes whose command line mentions `path` (tar -C, dpkg-deb -x, QEMU ...). */
export function processesUsing(path: string): number[] {
  return listProcesses()
    .filter((p) => isLive(p) && p.pid !== process.pid && commandLineOf(p.pid).includes(path))
    .map((p) => p.pid);
}

function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return ""; // exited meanwhile
  }
}
