// SPDX-License-Identifier: GPL-2.0-only
// Where the runtime finds the live system and keeps its own files. On a real machine these
// are /sys, /proc, /var/lib/hotpatch and /run/hotpatch; the overrides exist so unit tests can
// check parsing against a fake tree. Real behaviour is tested in a VM of the target kernel.
import { join } from "node:path";

export interface RuntimeEnv {
  /** Root of sysfs (normally /sys). */
  sysfs: string;
  /** Root of procfs (normally /proc). */
  proc: string;
  /** Persistent store of installed patches (normally /var/lib/hotpatch). */
  stateDir: string;
  /** Volatile state that must vanish at reboot: the lock and load records (normally /run/hotpatch). */
  runDir: string;
}

export function runtimeEnv(overrides: Partial<RuntimeEnv> = {}): RuntimeEnv {
  const env = process.env;
  return {
    sysfs: overrides.sysfs ?? env.HOTPATCH_SYSFS_ROOT ?? "/sys",
    proc: overrides.proc ?? env.HOTPATCH_PROC_ROOT ?? "/proc",
    stateDir: overrides.stateDir ?? env.HOTPATCH_STATE_DIR ?? "/var/lib/hotpatch",
    runDir: overrides.runDir ?? env.HOTPATCH_RUN_DIR ?? "/run/hotpatch",
  };
}

export const livepatchDir = (env: RuntimeEnv): string => join(env.sysfs, "kernel", "livepatch");
export const patchDir = (env: RuntimeEnv, name: string): string => join(livepatchDir(env), name);
export const moduleDir = (env: RuntimeEnv, name: string): string => join(env.sysfs, "module", name);
export const lockFile = (env: RuntimeEnv): string => join(env.runDir, "lock");
