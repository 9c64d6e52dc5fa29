// SPDX-License-Identifier: GPL-2.0-only
// One lock for every command that changes livepatch state or the install store, so two
// hotpatch processes never interleave their sysfs writes, insmod/rmmod calls or store edits.
import { UserError } from "../errors/user-error.ts";
import { withLock } from "../util/lock.ts";
import { lockFile, type RuntimeEnv } from "./env.ts";

export async function withRuntimeLock<T>(
  env: RuntimeEnv,
  work: () => Promise<T>,
  timeoutMs = 10 * 60_000,
): Promise<T> {
  try {
    return await withLock(lockFile(env), work, { timeoutMs, what: "livepatch state" });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
      throw new UserError(`Cannot take the lock ${lockFile(env)} (${code}): run hotpatch as root.`);
    }
    throw error;
  }
}
