// SPDX-License-Identifier: GPL-2.0-only
// Nothing half-written is ever used: files and directories are made beside their final
// path and renamed into place (rename(2) is atomic within one filesystem).
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

function scratchName(finalPath: string): string {
  return `${finalPath}.partial-${process.pid}-${Date.now()}`;
}

export function writeFileAtomic(path: string, data: string | Uint8Array, mode?: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = scratchName(path);
  writeFileSync(tmp, data, mode === undefined ? undefined : { mode });
  renameSync(tmp, path);
}

/**
 * Fills a scratch directory with `fill` and renames it to `finalDir`. An existing `finalDir`
 * is replaced. If `fill` throws, the scratch directory is removed and `finalDir` is untouched.
 */
export async function buildDirAtomic(finalDir: string, fill: (scratchDir: string) => Promise<void>): Promise<void> {
  mkdirSync(dirname(finalDir), { recursive: true });
  const tmp = scratchName(finalDir);
  mkdirSync(tmp, { recursive: true });
  try {
    await fill(tmp);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
  if (existsSync(finalDir)) {
    const old = scratchName(`${finalDir}.old`);
    renameSync(finalDir, old);
    renameSync(tmp, finalDir);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(tmp, finalDir);
  }
}
