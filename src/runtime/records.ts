// SPDX-License-Identifier: GPL-2.0-only
// What hotpatch remembers about patches it loaded since boot, in /run (tmpfs, gone at
// reboot like the patches themselves): the replace mode and whether the transition was
// forced. The kernel's 6.1 sysfs shows neither.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic.ts";
import type { RuntimeEnv } from "./env.ts";
import type { ReplaceMode } from "./module-file.ts";

export interface LoadRecord {
  name: string;
  path: string;
  replace: ReplaceMode;
  forced: boolean;
  loadedAt: string;
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
