// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch list` / `hotpatch status`: the kernel's patches (enabled, in transition, objects
// patched or waiting for their module, functions), what hotpatch knows beyond sysfs (replace
// mode, forced, the fixes it carries), retired livepatch modules still loaded, the install
// store, and the taint.
import type { RuntimeEnv } from "./env.ts";
import type { ReplaceMode } from "./module-file.ts";
import type { FixRecord } from "./provenance.ts";
import { loadedFixes, readRecord } from "./records.ts";
import { listInstalled, type StoreEntry, storeReleases } from "./store.ts";
import {
  type KernelPatch,
  livepatchSupported,
  readLivepatchModules,
  readModule,
  readPatches,
  readRelease,
} from "./sysfs.ts";
import { readTaint, type Taint } from "./taint.ts";
import { describeTask, pendingTasks } from "./tasks.ts";

export interface PatchStatus extends KernelPatch {
  replace: ReplaceMode;
  forced: boolean;
  refcnt: number | null;
  installed: boolean;
  /** The fixes it carries (from its load record or the installed copy it was loaded from); null when unknown. */
  fixes: FixRecord[] | null;
  /** While in transition: the tasks not switched yet, described (pid, comm, patch_state, stack). */
  pendingTasks: string[];
}

export interface RetiredModule {
  name: string;
  refcnt: number | null;
  /** No patch registered any more and nothing holds the module: `hotpatch unload` removes it. */
  removable: boolean;
}

export interface SystemStatus {
  release: string;
  livepatchSupported: boolean;
  taint: Taint;
  patches: PatchStatus[];
  /** Livepatch modules still loaded whose patch was disabled or replaced by a cumulative patch. */
  retired: RetiredModule[];
  installed: StoreEntry[];
  /** Releases other than the running one that have installed patches (kept, not loaded). */
  otherReleases: string[];
}

/** The kernel's own word when it has a `replace` file (6.11+), else what hotpatch recorded. */
function replaceModeOf(env: RuntimeEnv, patch: KernelPatch, store: StoreEntry[]): ReplaceMode {
  if (patch.replaceAttribute !== undefined) return patch.replaceAttribute ? "replace" : "stack";
  const name = patch.name;
  const recorded = readRecord(env, name)?.replace;
  if (recorded && recorded !== "unknown") return recorded;
  return store.find((s) => s.name === name)?.replace ?? recorded ?? "unknown";
}

export function readStatus(env: RuntimeEnv): SystemStatus {
  const release = readRelease(env);
  const installed = release ? safeInstalled(env, release) : [];
  const patches = readPatches(env).map((p) => ({
    ...p,
    replace: replaceModeOf(env, p, installed),
    forced: readRecord(env, p.name)?.forced ?? false,
    refcnt: readModule(env, p.name)?.refcnt ?? null,
    installed: installed.some((s) => s.name === p.name),
    fixes: loadedFixes(env, p.name, installed),
    pendingTasks: p.transition
      ? pendingTasks(env, p.enabled ? 1 : 0, functionNames(p)).map(describeTask)
      : [],
  }));
  const active = new Set(patches.map((p) => p.name));
  const retired = readLivepatchModules(env)
    .filter((m) => !active.has(m.name))
    .map((m) => ({ name: m.name, refcnt: m.refcnt, removable: m.refcnt === 0 && m.holders.length === 0 }));
  return {
    release,
    livepatchSupported: livepatchSupported(env),
    taint: readTaint(env),
    patches,
    retired,
    installed,
    otherReleases: safeReleases(env).filter((r) => r !== release),
  };
}

function functionNames(p: KernelPatch): string[] {
  return p.objects.flatMap((o) => o.functions.map((f) => f.name));
}

function safeInstalled(env: RuntimeEnv, release: string): StoreEntry[] {
  try {
    return listInstalled(env, release);
  } catch {
    return [];
  }
}

function safeReleases(env: RuntimeEnv): string[] {
  try {
    return storeReleases(env);
  } catch {
    return [];
  }
}
