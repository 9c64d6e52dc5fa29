// SPDX-License-Identifier: GPL-2.0-only
// The persistent store of installed patches: <stateDir>/<kernel release>/<name>.ko plus
// <name>.json. The .ko is written first and the .json (holding the .ko's sha256) last, each
// atomically (beside + rename), so the .json is the commit record: after a crash an entry
// without a .json, or whose .ko does not match it, is incomplete and never loaded.
// Installing a cumulative patch that would drop, at boot, a fix of a patch installed before
// it is refused unless the operator allows it (recorded as `allowDrop`): see boot.ts.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors/user-error.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { bootPlan } from "./boot-plan.ts";
import type { RuntimeEnv } from "./env.ts";
import { checkNotUnsafe, type ReplaceMode, readModuleFile } from "./module-file.ts";
import { type DroppedFixes, describeDropped, droppedCount, type FixRecord } from "./provenance.ts";

export interface InstalledPatch {
  name: string;
  release: string;
  vermagic: string;
  replace: ReplaceMode;
  sha256: string;
  size: number;
  installedAt: string;
  /** Install order within a release: `load --all` loads in this order. */
  sequence: number;
  /** Where it was installed from. */
  source: string;
  /** The stored module. */
  path: string;
  /** The fixes the module records (null: none recorded). */
  fixes: FixRecord[] | null;
  /** GNU build ID of the module: ties a loaded module to this entry. */
  buildId: string | null;
  /** Installed with --allow-drop: at boot it may retire patches whose fixes it does not carry. */
  allowDrop: boolean;
}

export interface StoreEntry extends InstalledPatch {
  /** False when the .ko is missing or does not match the recorded checksum. */
  complete: boolean;
}

const NAME = /^[A-Za-z0-9_]+$/;

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function releaseDir(env: RuntimeEnv, release: string): string {
  if (!/^[A-Za-z0-9._+-]+$/.test(release)) throw new UserError(`'${release}' is not a kernel release name.`);
  return join(env.stateDir, release);
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export function storeReleases(env: RuntimeEnv): string[] {
  return listDir(env.stateDir)
    .filter((e) => !e.startsWith("."))
    .sort();
}

function readEntry(dir: string, file: string): StoreEntry | null {
  try {
    const meta = JSON.parse(readFileSync(join(dir, file), "utf8")) as Partial<InstalledPatch> &
      Omit<InstalledPatch, "fixes" | "buildId" | "allowDrop">;
    let complete = false;
    try {
      complete = sha256(readFileSync(meta.path)) === meta.sha256;
    } catch {
      complete = false;
    }
    // Records written before hotpatch kept fixes and build IDs: read them from the module.
    const module = meta.fixes === undefined && complete ? readModuleFile(meta.path) : undefined;
    return {
      ...meta,
      fixes: meta.fixes ?? module?.fixes ?? null,
      buildId: meta.buildId ?? module?.buildId ?? null,
      allowDrop: meta.allowDrop ?? false,
      complete,
    };
  } catch {
    return null; // unreadable record: treated as not installed
  }
}

/** Installed patches of one release, in install order. */
export function listInstalled(env: RuntimeEnv, release: string): StoreEntry[] {
  const dir = releaseDir(env, release);
  return listDir(dir)
    .filter((f) => f.endsWith(".json") && !f.includes(".partial-"))
    .map((f) => readEntry(dir, f))
    .filter((e): e is StoreEntry => e !== null)
    .sort((a, b) => a.sequence - b.sequence);
}

/** Leftovers of an interrupted install: scratch files and modules that no record commits. */
function sweep(dir: string): void {
  const files = listDir(dir);
  for (const file of files) {
    const orphanKo = file.endsWith(".ko") && !files.includes(file.replace(/\.ko$/, ".json"));
    if (file.includes(".partial-") || orphanKo) rmSync(join(dir, file), { force: true });
  }
}

export interface InstallOptions {
  /** Install even if, at boot, this patch would retire patches whose fixes it does not carry. */
  allowDrop?: boolean;
}

export interface InstallResult extends InstalledPatch {
  /** What this patch will drop at boot (allowed with --allow-drop); empty otherwise. */
  dropped: DroppedFixes[];
}

/**
 * What `entry`, installed last, would drop at boot (see bootPlan): refused in one sentence
 * unless allowed.
 */
function checkDrops(entry: InstalledPatch, previous: StoreEntry[], allowDrop: boolean): DroppedFixes[] {
  const others = previous.filter((p) => p.name !== entry.name);
  const plan = bootPlan([...others, { ...entry, complete: true, allowDrop: false }]);
  const last = plan.at(-1);
  const dropped = last?.action === "refused" ? last.dropped : [];
  if (dropped.length > 0 && !allowDrop) {
    const them = droppedCount(dropped) === 1 ? "it" : "them";
    throw new UserError(
      `Installing ${entry.name} would drop at boot ${describeDropped(dropped, "installed patch")}: it replaces the patches installed before it and does not carry ${them}; nothing was installed (install a patch that carries ${them} too, or give --allow-drop).`,
    );
  }
  return dropped;
}

/** Copies a livepatch into the store for the release its vermagic names. Call under the runtime lock. */
export function installPatch(env: RuntimeEnv, source: string, options: InstallOptions = {}): InstallResult {
  const module = readModuleFile(source);
  if (!module.livepatch)
    throw new UserError(
      `${source} is not a livepatch module (its modinfo has no livepatch=Y): it was not installed.`,
    );
  if (!module.release)
    throw new UserError(
      `${source} has no vermagic, so the kernel it is for is unknown: it was not installed.`,
    );
  if (!NAME.test(module.name)) throw new UserError(`${source} has an unusable module name '${module.name}'.`);
  checkNotUnsafe(module);
  const dir = releaseDir(env, module.release);
  sweep(dir);
  const bytes = readFileSync(source);
  const path = join(dir, `${module.name}.ko`);
  const previous = listInstalled(env, module.release);
  const entry: InstalledPatch = {
    name: module.name,
    release: module.release,
    vermagic: module.vermagic,
    replace: module.replace,
    sha256: sha256(bytes),
    size: bytes.length,
    installedAt: new Date().toISOString(),
    sequence: Math.max(0, ...previous.map((p) => p.sequence)) + 1,
    source,
    path,
    fixes: module.fixes,
    buildId: module.buildId,
    allowDrop: false,
  };
  const dropped = checkDrops(entry, previous, options.allowDrop ?? false);
  entry.allowDrop = dropped.length > 0;
  // Uncommit an older version first, so a crash between the two writes never pairs a new
  // module with an old record.
  rmSync(join(dir, `${module.name}.json`), { force: true });
  writeFileAtomic(path, bytes, 0o644);
  writeFileAtomic(join(dir, `${module.name}.json`), `${JSON.stringify(entry, null, 2)}\n`);
  return { ...entry, dropped };
}

/** Removes a patch from the store (every release, or one). Returns the releases it was removed from. */
export function uninstallPatch(env: RuntimeEnv, name: string, release?: string): string[] {
  if (!NAME.test(name)) throw new UserError(`'${name}' is not a livepatch module name.`);
  const releases = release ? [release] : storeReleases(env);
  const removed: string[] = [];
  for (const rel of releases) {
    const dir = releaseDir(env, rel);
    const files = listDir(dir);
    if (!files.includes(`${name}.json`) && !files.includes(`${name}.ko`)) continue;
    rmSync(join(dir, `${name}.json`), { force: true }); // the record first: uncommitted from here on
    rmSync(join(dir, `${name}.ko`), { force: true });
    removed.push(rel);
  }
  if (removed.length === 0) {
    throw new UserError(`No installed livepatch named ${name}${release ? ` for kernel ${release}` : ""}.`);
  }
  return removed;
}
