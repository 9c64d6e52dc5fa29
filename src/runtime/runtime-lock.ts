// SPDX-License-Identifier: GPL-2.0-only
// One lock for every command that changes livepatch state or the install store, so two
// hotpatch processes never interleave their sysfs writes, insmod/rmmod calls or store edits.
import { withLock } from "../util/lock.ts";
import { lockFile, type RuntimeEnv } from "./env.ts";

export async function withRuntimeLock<T>(
  env: RuntimeEnv,
  work: () => Promise<T>,
  timeoutMs = 10 * 60_000,
): Promise<T> {
  // Only a failure to take the lock gets the root hint: errors from `work` pass through as they are.
  return withLock(lockFile(env), work, { timeoutMs, what: "livepatch state", hint: "run hotpatch as root" });
}
