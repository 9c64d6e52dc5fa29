// SPDX-License-Identifier: GPL-2.0-only
// Waiting for a livepatch transition. The kernel retries about once a second and has no
// timeout, so hotpatch sets one and reports progress (pending task count) while it waits.
import { setTimeout as sleep } from "node:timers/promises";
import { UserError } from "../errors/user-error.ts";
import { note } from "../util/progress.ts";
import type { RuntimeEnv } from "./env.ts";
import { readModule, readPatch, readPatches } from "./sysfs.ts";
import { pendingTasks } from "./tasks.ts";

export type WaitOutcome = "done" | "timeout" | "interrupted";

export interface WaitOptions {
  timeoutMs: number;
  /** 1 while patching, 0 while unpatching: tasks not in this state are pending. */
  targetState: 0 | 1;
  label: string;
  pollMs?: number;
  /** Stops the wait early (e.g. on SIGINT), returning "interrupted". */
  signal?: AbortSignal;
}

function progressLine(label: string, waitedMs: number, pending: number): string {
  return `  ${label}: ${pending} task${pending === 1 ? "" : "s"} not switched yet (${Math.round(waitedMs / 1000)} s)`;
}

/** Waits until the patch's transition file reads 0 (or the patch directory is gone). */
export async function waitForTransition(
  env: RuntimeEnv,
  name: string,
  options: WaitOptions,
): Promise<WaitOutcome> {
  const started = Date.now();
  const poll = options.pollMs ?? 250;
  let lastReport = started;
  for (;;) {
    const patch = readPatch(env, name);
    if (patch === null || !patch.transition) return "done";
    const now = Date.now();
    if (options.signal?.aborted) return "interrupted";
    if (now - started >= options.timeoutMs) return "timeout";
    if (now - lastReport >= 2000) {
      note(progressLine(options.label, now - started, pendingTasks(env, options.targetState).length));
      lastReport = now;
    }
    await sleep(poll);
  }
}

/** Waits until a predicate holds, polling; returns false on timeout. */
export async function waitUntil(predicate: () => boolean, timeoutMs: number, pollMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (predicate()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(pollMs);
  }
}

/**
 * After a patch is disabled or replaced the kernel frees it from a workqueue: its sysfs
 * directory disappears and its module reference is dropped a moment after the transition.
 */
export async function waitForRelease(env: RuntimeEnv, name: string, timeoutMs = 10_000): Promise<boolean> {
  return waitUntil(() => {
    if (readPatch(env, name) !== null) return false;
    const mod = readModule(env, name);
    return mod === null || mod.refcnt === 0;
  }, timeoutMs);
}

/** Refuses to start a load or unload while any patch is in transition: the kernel runs one at a time. */
export function refuseIfAnyInTransition(env: RuntimeEnv): void {
  const busy = readPatches(env).find((p) => p.transition);
  if (busy)
    throw new UserError(
      `Livepatch ${busy.name} is in transition; the kernel runs one transition at a time: try again later.`,
    );
}
