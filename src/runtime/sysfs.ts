// SPDX-License-Identifier: GPL-2.0-only
// Reading the kernel's view of livepatches (Linux 6.1 layout):
//   /sys/kernel/livepatch/<patch>/{enabled,transition,force}
//   /sys/kernel/livepatch/<patch>/<object>/patched
//   /sys/kernel/livepatch/<patch>/<object>/<function,sympos>/
// and of modules: /sys/module/<name>/{refcnt,taint,holders/,notes/}. 6.1 has no `replace` file;
// Linux 6.11 added /sys/kernel/livepatch/<patch>/replace (read-only, 0 or 1), which Debian's
// 6.12 kernels have: there the kernel itself says whether a patch is cumulative.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { livepatchDir, moduleDir, patchDir, type RuntimeEnv } from "./env.ts";
import { buildIdFromNotes } from "./module-file.ts";

export interface PatchedFunction {
  name: string;
  sympos: number;
}

export interface PatchObject {
  /** "vmlinux" or a module name. */
  name: string;
  /** True when the object is loaded and its functions are redirected; false while its module is absent. */
  patched: boolean;
  functions: PatchedFunction[];
}

export interface KernelPatch {
  name: string;
  enabled: boolean;
  transition: boolean;
  /** The kernel's `replace` attribute (6.11 and later); absent when the kernel has none. */
  replaceAttribute?: boolean;
  objects: PatchObject[];
}

export interface LoadedModule {
  name: string;
  /** Module reference count; null for built-in "modules" that have none. */
  refcnt: number | null;
  /** Letters of /sys/module/<name>/taint, e.g. "OEK". */
  taint: string;
  holders: string[];
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return null;
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function listDirs(path: string): string[] {
  try {
    return readdirSync(path)
      .filter((entry) => isDir(join(path, entry)))
      .sort();
  } catch {
    return [];
  }
}

export function livepatchSupported(env: RuntimeEnv): boolean {
  return isDir(livepatchDir(env));
}

/** Function directories are named `<function>,<sympos>`. */
export function parseFunctionDir(entry: string): PatchedFunction | null {
  const comma = entry.lastIndexOf(",");
  if (comma <= 0) return null;
  const sympos = Number.parseInt(entry.slice(comma + 1), 10);
  return Number.isFinite(sympos) ? { name: entry.slice(0, comma), sympos } : null;
}

function readObject(dir: string, name: string): PatchObject {
  const functions = listDirs(dir)
    .map(parseFunctionDir)
    .filter((f): f is PatchedFunction => f !== null);
  return { name, patched: readText(join(dir, "patched")) === "1", functions };
}

/** One patch as the kernel shows it, or null when it has no sysfs directory (gone or never loaded). */
export function readPatch(env: RuntimeEnv, name: string): KernelPatch | null {
  const dir = patchDir(env, name);
  const enabled = readText(join(dir, "enabled"));
  if (enabled === null) return null;
  const replace = readText(join(dir, "replace"));
  return {
    name,
    enabled: enabled === "1",
    transition: readText(join(dir, "transition")) === "1",
    ...(replace === null ? {} : { replaceAttribute: replace === "1" }),
    objects: listDirs(dir).map((obj) => readObject(join(dir, obj), obj)),
  };
}

export function readPatches(env: RuntimeEnv): KernelPatch[] {
  return listDirs(livepatchDir(env))
    .map((name) => readPatch(env, name))
    .filter((p): p is KernelPatch => p !== null);
}

export function readModule(env: RuntimeEnv, name: string): LoadedModule | null {
  const dir = moduleDir(env, name);
  if (!isDir(dir)) return null;
  // A module still being initialised or going away is reported by initstate, not listed as live.
  const state = readText(join(dir, "initstate"));
  if (state !== null && state !== "live" && state !== "coming") return null;
  const refcnt = readText(join(dir, "refcnt"));
  return {
    name,
    refcnt: refcnt === null ? null : Number.parseInt(refcnt, 10),
    taint: readText(join(dir, "taint")) ?? "",
    holders: existsSync(join(dir, "holders")) ? readdirSync(join(dir, "holders")).sort() : [],
  };
}

/**
 * The build ID of a loaded module, from the ELF notes the kernel keeps for it (readable by
 * root); null when it cannot be read. It ties a loaded module to one exact .ko file.
 */
export function readModuleBuildId(env: RuntimeEnv, name: string): string | null {
  try {
    return buildIdFromNotes(readFileSync(join(moduleDir(env, name), "notes", ".note.gnu.build-id")));
  } catch {
    return null;
  }
}

/** Loaded modules whose taint carries K: every livepatch module, active or retired. */
export function readLivepatchModules(env: RuntimeEnv): LoadedModule[] {
  return listDirs(join(env.sysfs, "module"))
    .filter((name) => (readText(join(env.sysfs, "module", name, "taint")) ?? "").includes("K"))
    .map((name) => readModule(env, name))
    .filter((m): m is LoadedModule => m !== null);
}

/** The running kernel's release; uname(2) when procfs cannot be read (never an empty name). */
export function readRelease(env: RuntimeEnv): string {
  return readText(join(env.proc, "sys", "kernel", "osrelease")) || release();
}

export function readCmdline(env: RuntimeEnv): string {
  return readText(join(env.proc, "cmdline")) ?? "";
}
