// SPDX-License-Identifier: GPL-2.0-only
// What hotpatch remembers about patches it loaded since boot, in /run (tmpfs, gone at
// reboot like the patches themselves): the replace mode, whether the transition was forced,
// and the fixes the module carries with its build ID. The kernel's 6.1 sysfs shows none of
// these (it shows the build ID, which tells whether the record still matches the module).
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic.ts";
import type { RuntimeEnv } from "./env.ts";
import type { ReplaceMode } from "./module-file.ts";
import type { FixRecord } from "./provenance.ts";
import type { StoreEntry } from "./store.ts";
import { readModuleBuildId } from "./sysfs.ts";

export interface LoadRecord {
  name: string;
  path: string;
  replace: ReplaceMode;
  forced: boolean;
  loadedAt: string;
  /** Absent in records written before hotpatch recorded fixes. */
  fixes?: FixRecord[] | null;
  buildId?: string | null;
}

const recordPath = (env: RuntimeEnv, name: string): string => join(env.runDir, "loaded", `${name}.json`);

export function readRecord(env: RuntimeEnv, name: string): LoadRecord | null {
  try {
    return JSON.parse(readFileSync(recordPath(env, name), "utf8")) as LoadRecord;
  } catch {
    return null;
  }
}

export function writeRecord(env: RuntimeEnv, record: LoadRecord): void {
  writeFileAtomic(recordPath(env, record.name), `${JSON.stringify(record, null, 2)}\n`);
}

export function removeRecord(env: RuntimeEnv, name: string): void {
  rmSync(recordPath(env, name), { force: true });
}

/**
 * The fixes a loaded patch carries, from evidence: hotpatch's own load record (unless the
 * loaded module's build ID shows it was since replaced by another file of that name), else an
 * installed copy whose build ID is the loaded module's (a patch loaded with plain insmod).
 * null when neither tells, or the module records no fixes.
 */
export function loadedFixes(env: RuntimeEnv, name: string, installed: StoreEntry[]): FixRecord[] | null {
  const loadedId = readModuleBuildId(env, name);
  const record = readRecord(env, name);
  if (record?.fixes !== undefined && (!loadedId || !record.buildId || record.buildId === loadedId))
    return record.fixes;
  const copy = installed.find((e) => e.name === name && e.complete && loadedId && e.buildId === loadedId);
  return copy?.fixes ?? null;
}
