// SPDX-License-Identifier: GPL-2.0-only
// Nothing half-written is ever used: a file is written beside its final path and renamed into
// place (rename(2) is atomic within one filesystem).
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { UserError } from "../errors/user-error.ts";

function scratchName(finalPath: string): string {
  return `${finalPath}.partial-${process.pid}-${Date.now()}`;
}

/** A failed write of `path` as one sentence when the cause is the path or the disk, not hotpatch. */
function writeFailure(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    EISDIR: "it is a directory",
    ENOTDIR: "a part of its path is not a directory",
    EEXIST: "a part of its path is not a directory", // from mkdir of a name that is a file
    ENOENT: "files cannot be created there",
    EACCES: "permission denied",
    EPERM: "permission denied",
    EROFS: "the filesystem is read-only",
    ENOSPC: "no space left on the device",
  };
  return code && why[code] ? new UserError(`Cannot write ${path}: ${why[code]}.`) : error;
}

/** Removes a scratch file that may not exist (or whose directory may not). */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // Nothing was written there, so there is nothing to clean up.
  }
}

/** Writes `path` whole or not at all; a failure leaves no scratch file behind. */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode?: number): void {
  const tmp = scratchName(path);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, data, mode === undefined ? undefined : { mode });
    renameSync(tmp, path);
  } catch (error) {
    removeQuietly(tmp);
    throw writeFailure(path, error);
  }
}
