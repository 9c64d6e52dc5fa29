// SPDX-License-Identifier: GPL-2.0-only
// Processes seen through /proc, for the VM tests (real and fake QEMU): is a pid alive, and
// which QEMU processes a run left behind.
import { readdirSync, readFileSync } from "node:fs";

/** Pids of live (non-zombie) qemu-system processes whose parent is `parentPid`. */
export function qemuChildrenOf(parentPid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (comm.startsWith("qemu-system") && state !== "Z" && Number(ppid) === parentPid)
      found.push(Number(entry));
  }
  return found;
}

/** Whether `pid` runs: a zombie (exited, not yet reaped) counts as dead. */
export function isAlive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false; // no such process
  }
}
