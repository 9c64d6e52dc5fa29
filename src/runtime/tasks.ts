// SPDX-License-Identifier: GPL-2.0-only
// Tasks that hold up a transition. During a transition each task's /proc/PID/task/TID/
// patch_state is 0 (unpatched) or 1 (patched); tasks not yet in the target state are pending.
// Their kernel stack (/proc/.../stack, root only) shows which patched function keeps them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { RuntimeEnv } from "./env.ts";

export interface PendingTask {
  pid: number;
  tid: number;
  comm: string;
  patchState: number;
  /** Function names on the task's kernel stack, innermost first (empty if unreadable). */
  stack: string[];
  /** Patched functions found on that stack: why the task cannot switch. */
  blockingFunctions: string[];
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

function numericEntries(dir: string): number[] {
  try {
    return readdirSync(dir)
      .filter((e) => /^\d+$/.test(e))
      .map(Number);
  } catch {
    return [];
  }
}

/** `[<0>] msleep_interruptible+0x2a/0x50 [mod]` -> `msleep_interruptible`. */
export function parseStack(text: string): string[] {
  return text
    .split("\n")
    .map((line) => /^\[<[0-9a-fx]+>\]\s+([^+\s]+)/.exec(line.trim())?.[1])
    .filter((name): name is string => name !== undefined);
}

/** Every task whose patch_state is set and differs from `targetState` (1 = patching, 0 = unpatching). */
export function pendingTasks(
  env: RuntimeEnv,
  targetState: 0 | 1,
  patchedFunctions: string[] = [],
): PendingTask[] {
  const wanted = new Set(patchedFunctions);
  const found: PendingTask[] = [];
  for (const pid of numericEntries(env.proc)) {
    for (const tid of numericEntries(join(env.proc, String(pid), "task"))) {
      const dir = join(env.proc, String(pid), "task", String(tid));
      const state = Number.parseInt(readText(join(dir, "patch_state")) ?? "-1", 10);
      if (state < 0 || state === targetState) continue;
      const stack = parseStack(readText(join(dir, "stack")) ?? "");
      found.push({
        pid,
        tid,
        comm: (readText(join(dir, "comm")) ?? "?").trim(),
        patchState: state,
        stack,
        blockingFunctions: stack.filter((fn) =>
          wanted.has(fn.replace(/\.(cold|part\.\d+|isra\.\d+|constprop\.\d+)$/, "")),
        ),
      });
    }
  }
  return found;
}

export function describeTask(task: PendingTask): string {
  const where = task.blockingFunctions.length
    ? `sleeping in patched ${task.blockingFunctions.join(", ")}`
    : task.stack.length
      ? `stack: ${task.stack.slice(0, 4).join(" <- ")}`
      : "stack unreadable";
  return `pid ${task.pid}${task.tid !== task.pid ? ` (thread ${task.tid})` : ""} ${task.comm}: patch_state ${task.patchState}, ${where}`;
}
