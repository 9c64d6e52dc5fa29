// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch unload NAME`: disable the patch, wait for every task to switch back, remove the
// module. Refuses with the reason when that cannot be done cleanly; a disable that stalls is
// reversed, so the patch stays fully applied rather than half.
import { UserError } from "../errors/user-error.ts";
import { formatSeconds, note } from "../util/progress.ts";
import type { RuntimeEnv } from "./env.ts";
import { rmmod } from "./kmod.ts";
import { patchedFunctionNames } from "./load.ts";
import { readRecord, removeRecord } from "./records.ts";
import { withRuntimeLock } from "./runtime-lock.ts";
import { type KernelPatch, type LoadedModule, readModule, readPatch, readPatches } from "./sysfs.ts";
import { writePatchAttribute } from "./sysfs-write.ts";
import { describeTask, pendingTasks } from "./tasks.ts";
import { refuseIfAnyInTransition, waitForRelease, waitForTransition } from "./transition.ts";

export interface UnloadOptions {
  timeoutMs: number;
}

export interface UnloadResult {
  name: string;
  /** False when the patch was already inactive (replaced or disabled) and only its module was left. */
  disabled: boolean;
  removed: boolean;
  transitionMs: number;
}

function refuseUnless(
  env: RuntimeEnv,
  name: string,
  patch: KernelPatch | null,
  module: LoadedModule | null,
): void {
  if (!patch && !module) {
    const loaded = readPatches(env).map((p) => p.name);
    throw new UserError(
      `No livepatch named ${name} is loaded${loaded.length ? ` (loaded: ${loaded.join(", ")})` : ""}.`,
    );
  }
  if (module && !module.taint.includes("K"))
    throw new UserError(`Module ${name} is not a livepatch module: use rmmod for ordinary modules.`);
  if (readRecord(env, name)?.forced) {
    throw new UserError(
      `Livepatch ${name} was loaded with a forced transition, and a forced patch can never be unloaded (the kernel keeps its module).`,
    );
  }
  if (patch?.transition)
    throw new UserError(`Livepatch ${name} is in transition: wait for it to finish before unloading.`);
  refuseIfAnyInTransition(env);
  if (module && module.holders.length > 0) {
    throw new UserError(`Module ${name} is in use by ${module.holders.join(", ")}: unload those first.`);
  }
}

export async function unloadPatch(
  env: RuntimeEnv,
  name: string,
  options: UnloadOptions,
): Promise<UnloadResult> {
  return withRuntimeLock(env, async () => {
    const patch = readPatch(env, name);
    const module = readModule(env, name);
    refuseUnless(env, name, patch, module);
    const started = Date.now();
    if (patch?.enabled) {
      writePatchAttribute(env, name, "enabled", "0");
      note(`• waiting for ${name} to be disabled (timeout ${formatSeconds(options.timeoutMs)}) ...`);
      if (
        (await waitForTransition(env, name, {
          timeoutMs: options.timeoutMs,
          targetState: 0,
          label: name,
        })) === "timeout"
      ) {
        const stalled = pendingTasks(env, 0, patchedFunctionNames(patch)).map(describeTask);
        writePatchAttribute(env, name, "enabled", "1"); // reverse: back to fully patched
        await waitForTransition(env, name, {
          timeoutMs: options.timeoutMs,
          targetState: 1,
          label: `${name} (re-enabling)`,
        });
        throw new UserError(
          `Disabling ${name} did not complete within ${formatSeconds(options.timeoutMs)}; it was reversed and the patch stays enabled.`,
          stalled,
        );
      }
    }
    if (!(await waitForRelease(env, name))) {
      const refcnt = readModule(env, name)?.refcnt;
      throw new UserError(
        `Livepatch ${name} is disabled but its module is still in use (refcount ${refcnt ?? "?"}; a forced patch keeps its reference forever), so it was not removed.`,
      );
    }
    if (module || readModule(env, name)) await rmmod(name);
    removeRecord(env, name);
    return { name, disabled: patch?.enabled ?? false, removed: true, transitionMs: Date.now() - started };
  });
}
