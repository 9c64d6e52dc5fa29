// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch load`: check the module, insmod it, wait for every task to switch; on timeout
// name the stalled tasks and revert (disable, wait, rmmod) so the system is as it was, unless
// --force was given. A replace-mode patch retires the patches before it; their modules are
// removed once the kernel has released them. It is refused beforehand when it does not carry
// every fix of the patches it would retire, unless --allow-drop.
import { UserError } from "../errors/user-error.ts";
import { formatSeconds, note, warn } from "../util/progress.ts";
import type { RuntimeEnv } from "./env.ts";
import { insmod, rmmod } from "./kmod.ts";
import { checkLoadable, type ModuleFile, type ReplaceMode, readModuleFile } from "./module-file.ts";
import {
  type DroppedFixes,
  describeDropped,
  droppedCount,
  droppedFixes,
  type FixRecord,
} from "./provenance.ts";
import { loadedFixes, readRecord, removeRecord, writeRecord } from "./records.ts";
import { withRuntimeLock } from "./runtime-lock.ts";
import { listInstalled, type StoreEntry } from "./store.ts";
import {
  type KernelPatch,
  livepatchSupported,
  readModule,
  readPatch,
  readPatches,
  readRelease,
} from "./sysfs.ts";
import { writePatchAttribute } from "./sysfs-write.ts";
import { describeTask, type PendingTask, pendingTasks } from "./tasks.ts";
import {
  refuseIfAnyInTransition,
  type WaitOutcome,
  waitForRelease,
  waitForTransition,
  waitUntil,
} from "./transition.ts";

export interface LoadOptions {
  timeoutMs: number;
  /** On timeout, force the transition instead of reverting (the module can then never be removed). */
  force?: boolean;
  /** Keep the modules of patches this one replaced (default: remove them). */
  keepReplaced?: boolean;
  /** Load a cumulative patch even if it retires patches carrying fixes it does not carry. */
  allowDrop?: boolean;
}

export interface LoadResult {
  name: string;
  path: string;
  release: string;
  outcome: "loaded" | "already-loaded";
  replace: ReplaceMode;
  forced: boolean;
  transitionMs: number;
  /** Patches that were active before and were retired by this replace-mode patch. */
  retired: string[];
  /** Modules of retired patches that hotpatch removed. */
  removedModules: string[];
  /** The fixes this patch's module records (null: none recorded). */
  fixes: FixRecord[] | null;
  /** Fixes of retired patches this one does not carry (only with --allow-drop). */
  dropped: DroppedFixes[];
}

export function patchedFunctionNames(patch: KernelPatch | null): string[] {
  return patch ? patch.objects.flatMap((o) => o.functions.map((f) => f.name)) : [];
}

/** Refuses a load the kernel would refuse or that would leave a muddle, before any change. */
function checkSystemState(env: RuntimeEnv, module: ModuleFile): "already-loaded" | "ok" {
  const existing = readPatch(env, module.name);
  if (existing?.enabled && !existing.transition) return "already-loaded";
  if (existing) {
    throw new UserError(
      `Livepatch ${module.name} is in the middle of a transition: wait for it, or run 'hotpatch status ${module.name}'.`,
    );
  }
  if (readModule(env, module.name)) {
    throw new UserError(
      `Module ${module.name} is loaded but its patch is no longer active (disabled or replaced): remove it first with 'hotpatch unload ${module.name}'.`,
    );
  }
  refuseIfAnyInTransition(env);
  return "ok";
}

function installedFor(env: RuntimeEnv, release: string): StoreEntry[] {
  try {
    return listInstalled(env, release);
  } catch {
    return []; // an unreadable store only means less is known about loaded patches
  }
}

/**
 * What loading `module` would drop: a replace-mode patch retires every loaded patch, so each
 * fix they carry must be carried by it too. Refused in one sentence unless allowed.
 */
function checkDrops(
  env: RuntimeEnv,
  module: ModuleFile,
  release: string,
  allowDrop: boolean,
): DroppedFixes[] {
  if (module.replace === "stack") return [];
  const installed = installedFor(env, release);
  const loaded = readPatches(env).filter((p) => p.name !== module.name);
  const dropped = droppedFixes(
    loaded.map((p) => ({ patch: p.name, fixes: loadedFixes(env, p.name, installed) })),
    module.fixes,
  );
  if (dropped.length > 0 && !allowDrop) {
    const them = droppedCount(dropped) === 1 ? "it" : "them";
    const replaces =
      module.replace === "replace"
        ? "it replaces every loaded patch"
        : "it may replace every loaded patch (its replace mode is unknown)";
    throw new UserError(
      `Loading ${module.name} would drop ${describeDropped(dropped)}: ${replaces} and does not carry ${them}; nothing was loaded (load a cumulative patch that carries ${them} too, or give --allow-drop).`,
    );
  }
  return dropped;
}

export async function loadPatch(env: RuntimeEnv, path: string, options: LoadOptions): Promise<LoadResult> {
  const module = readModuleFile(path);
  const release = readRelease(env);
  checkLoadable(module, release);
  if (!livepatchSupported(env)) {
    throw new UserError(
      "This kernel has no livepatch support (/sys/kernel/livepatch is missing): nothing was loaded.",
    );
  }
  return withRuntimeLock(env, async () => {
    const base = {
      name: module.name,
      path,
      release,
      forced: false,
      retired: [],
      removedModules: [],
      fixes: module.fixes,
      dropped: [],
    };
    if (checkSystemState(env, module) === "already-loaded") {
      return {
        ...base,
        outcome: "already-loaded",
        replace: readRecord(env, module.name)?.replace ?? module.replace,
        transitionMs: 0,
      };
    }
    const mayDrop = checkDrops(env, module, release, options.allowDrop ?? false);
    const before = readPatches(env).map((p) => p.name);
    const started = Date.now();
    await insmod(path, module.name);
    if (!readPatch(env, module.name)) {
      await rmmod(module.name).catch(() => undefined);
      throw new UserError(
        `${module.name} loaded but registered no livepatch (it does not call klp_enable_patch): it was removed again.`,
      );
    }
    note(`• waiting for the transition of ${module.name} (timeout ${formatSeconds(options.timeoutMs)}) ...`);
    let forced = false;
    const outcome = await waitInterruptibly(env, module.name, options.timeoutMs);
    if (outcome !== "done") {
      const stalled = pendingTasks(env, 1, patchedFunctionNames(readPatch(env, module.name)));
      if (!options.force || outcome === "interrupted") {
        await revertLoad(env, module.name, options.timeoutMs, stalled, outcome);
      }
      await forceTransition(env, module.name, stalled);
      forced = true;
    }
    const transitionMs = Date.now() - started;
    const kernelSays = readPatch(env, module.name)?.replaceAttribute; // 6.11+: sysfs `replace`
    const declared: ReplaceMode =
      kernelSays === undefined ? module.replace : kernelSays ? "replace" : "stack";
    const retired = await retiredBy(env, before, declared);
    const replace: ReplaceMode = retired.length > 0 ? "replace" : declared;
    writeRecord(env, {
      name: module.name,
      path,
      replace,
      forced,
      loadedAt: new Date().toISOString(),
      fixes: module.fixes,
      buildId: module.buildId,
    });
    const removedModules = options.keepReplaced ? [] : await removeRetired(env, retired);
    const dropped = mayDrop.filter((d) => retired.includes(d.patch));
    return { ...base, outcome: "loaded", replace, forced, transitionMs, retired, removedModules, dropped };
  });
}

/** Waits for the enable; SIGINT/SIGTERM stop the wait so the load is reverted, not left half-done. */
async function waitInterruptibly(env: RuntimeEnv, name: string, timeoutMs: number): Promise<WaitOutcome> {
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await waitForTransition(env, name, {
      timeoutMs,
      targetState: 1,
      label: name,
      signal: abort.signal,
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** Reverses a stalled (or interrupted) enable: tasks already switched go back, then the module is removed. */
async function revertLoad(
  env: RuntimeEnv,
  name: string,
  timeoutMs: number,
  stalled: PendingTask[],
  why: WaitOutcome,
): Promise<never> {
  const details = stalled.map(describeTask);
  const seconds = formatSeconds(timeoutMs);
  note(`  the transition did not complete in ${seconds}; reverting ${name} ...`);
  writePatchAttribute(env, name, "enabled", "0");
  if (
    (await waitForTransition(env, name, { timeoutMs, targetState: 0, label: `${name} (reverting)` })) ===
    "timeout"
  ) {
    throw new UserError(
      `The transition of ${name} stalled and so did its reversal: the patch stays loaded in transition; see 'hotpatch status ${name}'.`,
      details,
    );
  }
  if (!(await waitForRelease(env, name))) {
    throw new UserError(
      `The transition of ${name} stalled and was reversed, but its module is still referenced and was not removed.`,
      details,
    );
  }
  await rmmod(name);
  removeRecord(env, name);
  if (why === "interrupted") {
    throw new UserError(
      `Loading ${name} was interrupted during its transition; it was reverted and the module removed, so the system is as before.`,
      details,
    );
  }
  throw new UserError(
    `The transition of ${name} did not complete within ${seconds} because ${stalled.length} task(s) kept running patched code; it was reverted and the module removed, so the system is as before.`,
    details,
  );
}

async function forceTransition(env: RuntimeEnv, name: string, stalled: PendingTask[]): Promise<void> {
  warn(
    `forcing the transition of ${name}: ${stalled.length} task(s) still run the old code (${stalled.map((t) => `${t.pid} ${t.comm}`).join(", ") || "none listed"}); a forced patch can never be unloaded.`,
  );
  writePatchAttribute(env, name, "force", "1");
  await waitUntil(() => !readPatch(env, name)?.transition, 10_000);
}

/** Patches active before the load that disappeared: a replace-mode patch retired them. */
async function retiredBy(env: RuntimeEnv, before: string[], replace: ReplaceMode): Promise<string[]> {
  if (before.length === 0) return [];
  // The kernel frees replaced patches from a workqueue just after the transition.
  if (replace !== "stack")
    await waitUntil(
      () => before.every((n) => readPatch(env, n) === null),
      replace === "replace" ? 10_000 : 1_000,
    );
  return before.filter((n) => readPatch(env, n) === null);
}

async function removeRetired(env: RuntimeEnv, retired: string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const name of retired) {
    if (readRecord(env, name)?.forced) continue; // a forced patch keeps its module reference forever
    if (!(await waitForRelease(env, name, 5_000))) continue;
    try {
      await rmmod(name);
      removeRecord(env, name);
      removed.push(name);
    } catch (error) {
      warn(`could not remove the module of replaced patch ${name}: ${(error as Error).message}`);
    }
  }
  return removed;
}
