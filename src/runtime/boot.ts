// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch load --all`, what the systemd unit runs early at boot: load every installed patch
// for the running kernel release, in install order, skipping ones already loaded and ones a
// later replace-mode (cumulative) patch supersedes. `hotpatch.skip` on the kernel command
// line turns it off for one boot (the rescue switch when a patch misbehaves).
import { UserError } from "../errors/user-error.ts";
import type { RuntimeEnv } from "./env.ts";
import { type LoadOptions, loadPatch } from "./load.ts";
import { listInstalled, type StoreEntry } from "./store.ts";
import { readCmdline, readRelease } from "./sysfs.ts";

export const SKIP_SWITCH = "hotpatch.skip";

export interface BootEntry {
  name: string;
  outcome: "loaded" | "already-loaded" | "superseded" | "incomplete" | "failed";
  detail?: string;
}

export interface LoadAllResult {
  release: string;
  skipped: boolean;
  entries: BootEntry[];
  /** Installed for other kernel releases: kept, not loaded. */
  otherReleases: string[];
}

export function skipRequested(cmdline: string): boolean {
  return cmdline
    .split(/\s+/)
    .some((word) => word === SKIP_SWITCH || /^hotpatch\.skip=(1|y|yes|true)$/i.test(word));
}

/** Index of the first entry to load: the newest complete replace-mode patch supersedes all before it. */
export function firstToLoad(entries: StoreEntry[]): number {
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i];
    if (entry?.complete && entry.replace === "replace") return i;
  }
  return 0;
}

export async function loadAll(
  env: RuntimeEnv,
  options: LoadOptions,
  storeReleases: string[],
): Promise<LoadAllResult> {
  const release = readRelease(env);
  const otherReleases = storeReleases.filter((r) => r !== release);
  if (skipRequested(readCmdline(env))) return { release, skipped: true, entries: [], otherReleases };
  const installed = listInstalled(env, release);
  const first = firstToLoad(installed);
  const entries: BootEntry[] = [];
  for (const [index, patch] of installed.entries()) {
    if (!patch.complete) {
      entries.push({
        name: patch.name,
        outcome: "incomplete",
        detail: "the stored module is missing or does not match its checksum",
      });
    } else if (index < first) {
      entries.push({
        name: patch.name,
        outcome: "superseded",
        detail: `replaced by ${installed[first]?.name}`,
      });
    } else {
      entries.push(await loadOne(env, patch, options));
    }
  }
  return { release, skipped: false, entries, otherReleases };
}

async function loadOne(env: RuntimeEnv, patch: StoreEntry, options: LoadOptions): Promise<BootEntry> {
  try {
    const result = await loadPatch(env, patch.path, { ...options, force: false });
    return { name: patch.name, outcome: result.outcome };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { name: patch.name, outcome: "failed", detail: [error.message, ...error.details].join("\n") };
  }
}
