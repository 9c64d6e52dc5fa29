// SPDX-License-Identifier: GPL-2.0-only
// One lock for every command that changes livepatch state or the install store, so two
// hotpatch processes never interleave their sysfs writes, insmod/rmmod calls or store edits.
import { withLock } from "../util/lock.ts";
import { lockFile, type RuntimeEnv } from "./env.ts";

export function withRuntimeLock<T>(env: RuntimeEnv, work: () => Promise<T>, timeoutMs = 10 * 60_000): Promise<T> {
  return withLock(lockFile(env), work, { timeoutMs, what: "livepatch state" });
}
