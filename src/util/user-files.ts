// SPDX-License-Identifier: GPL-2.0-only
// Files the user names on the command line: a missing file, a directory where a file is
// expected or an unreadable file is one sentence naming it, the same in every command, and
// is found before any long step (preparing a target, booting a VM) starts.
import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { UserError } from "../errors/user-error.ts";

/** The sentence for a failed read of `path`, which should have been `what` (e.g. "a kernel module"). */
function readFailure(path: string, what: string, error: unknown): UserError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new UserError(`${path} does not exist.`);
  if (code === "EISDIR") return new UserError(`${path} is a directory, not ${what}.`);
  if (code === "EACCES" || code === "EPERM") return new UserError(`Cannot read ${path}: permission denied.`);
  if (code === "ENOTDIR")
    return new UserError(`${path} does not exist (a part of the path is not a directory).`);
  return new UserError(`Cannot read ${path} (${code ?? String(error)}).`);
}

/** Reads a file the user named (`what` says what it should be, for the error sentence). */
export function readUserFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw readFailure(path, what, error);
  }
}

/** Checks that a file the user named exists, is a regular file and is readable. */
export function checkUserFile(path: string, what: string, options: { allowDirectory?: boolean } = {}): void {
  try {
    const stat = statSync(path);
    if (stat.isDirectory() && options.allowDirectory) return;
    if (stat.isDirectory()) throw new UserError(`${path} is a directory, not ${what}.`);
    if (!stat.isFile()) throw new UserError(`${path} is not a regular file, so it cannot be ${what}.`);
    accessSync(path, constants.R_OK);
  } catch (error) {
    throw error instanceof UserError ? error : readFailure(path, what, error);
  }
}

/** Checks that an output path the user named is not an existing directory. */
export function checkOutputPath(path: string, what: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    return; // not there yet: it will be created
  }
  if (isDirectory) throw new UserError(`${path} is a directory: give a file name for ${what}.`);
}
