// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch load --all`, what the systemd unit runs early at boot: load every installed patch
// for the running kernel release, in install order, skipping ones already loaded and ones a
// later replace-mode (cumulative) patch supersedes, and refusing a cumulative patch that would
// drop a fix it does not carry (boot-plan.ts). `hotpatch.skip` on the kernel command line
// turns it off for one boot (the rescue switch when a patch misbehaves).
import { UserError } from "../errors/user-error.ts";
import { bootPlan } from "./boot-plan.ts";
import type { RuntimeEnv } from "./env.ts";
import { type LoadOptions, loadPatch } from "./load.ts";
import { type DroppedFixes, describeDropped, droppedCount } from "./provenance.ts";
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

export async function loadAll(
  env: RuntimeEnv,
  options: LoadOptions,
  storeReleases: string[],
): Promise<LoadAllResult> {
  const release = readRelease(env);
  const otherReleases = storeReleases.filter((r) => r !== release);
  if (skipRequested(readCmdline(env))) return { release, skipped: true, entries: [], otherReleases };
  const entries: BootEntry[] = [];
  for (const step of bootPlan(listInstalled(env, release), options.allowDrop)) {
    const name = step.entry.name;
    if (step.action === "incomplete") {
      entries.push({
        name,
        outcome: "incomplete",
        detail: "the stored module is missing or does not match its checksum",
      });
    } else if (step.action === "superseded") {
      entries.push({ name, outcome: "superseded", detail: `replaced by ${step.by}` });
    } else if (step.action === "refused") {
      entries.push({ name, outcome: "failed", detail: refusal(name, step.dropped) });
    } else {
      entries.push(await loadOne(env, step.entry, options));
    }
  }
  return { release, skipped: false, entries, otherReleases };
}

function refusal(name: string, dropped: DroppedFixes[]): string {
  const them = droppedCount(dropped) === 1 ? "it" : "them";
  return `${name} was not loaded: it would drop ${describeDropped(dropped, "installed patch")}, which it does not carry (reinstall it with --allow-drop to drop ${them})`;
}

async function loadOne(env: RuntimeEnv, patch: StoreEntry, options: LoadOptions): Promise<BootEntry> {
  try {
    const result = await loadPatch(env, patch.path, {
      ...options,
      force: false,
      allowDrop: options.allowDrop || patch.allowDrop,
    });
    return { name: patch.name, outcome: result.outcome };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { name: patch.name, outcome: "failed", detail: [error.message, ...error.details].join("\n") };
  }
}
