// SPDX-License-Identifier: GPL-2.0-only
// The machine's processes as /proc shows them: what the reaper waits on (a killed tool's
// process group), whose lock or run directory is stale, what tests check is gone (QEMU, tar).
import { readdirSync, readFileSync } from "node:fs";

export interface ProcessInfo {
  pid: number;
  /** The executable's name (at most 15 characters, from /proc/<pid>/stat). */
  comm: string;
  /** R, S, D, Z (exited, not yet reaped), ... */
  state: string;
  ppid: number;
  pgrp: number;
}

/** Parses "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses. */
function parseStat(stat: string): ProcessInfo | undefined {
  const open = stat.indexOf("(");
  const close = stat.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const [state, ppid, pgrp] = stat.slice(close + 2).split(" ");
  return {
    pid: Number(stat.slice(0, open).trim()),
    comm: stat.slice(open + 1, close),
    state: state ?? "?",
    ppid: Number(ppid),
    pgrp: Number(pgrp),
  };
}

/** Every process now; one that exits while it is read is left out. */
export function listProcesses(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const info = parseStat(readFileSync(`/proc/${entry}/stat`, "utf8"));
      if (info) found.push(info);
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** Whether a process can still run: zombies (exited, not yet reaped) count as dead. */
export function isLive(p: ProcessInfo): boolean {
  return p.state !== "Z" && p.state !== "X";
}

/** Whether process `pid` exists and can still run (a zombie counts as gone). */
export function isPidAlive(pid: number): boolean {
  try {
    const info = parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
    return info !== undefined && isLive(info);
  } catch {
    return false; // no such process
  }
}
