// SPDX-License-Identifier: GPL-2.0-only
// Checks made before a target prepare starts downloading, so a missing build tool or a full
// disk is reported in one sentence up front instead of as a make error minutes later.
import { accessSync, constants, existsSync, statfsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { MissingToolError, UserError } from "../errors/user-error.ts";

/** Programs a Debian target prepare runs, with the Debian package that installs each. */
export const PREPARE_TOOLS: ReadonlyArray<readonly [tool: string, debianPackage: string]> = [
  ["apt-get", "apt"],
  ["apt-cache", "apt"],
  ["dpkg-deb", "dpkg"],
  ["tar", "tar"],
  ["xz", "xz-utils"],
  ["make", "make"],
  ["gcc", "gcc"],
  ["ld", "binutils"],
  ["bison", "bison"],
  ["flex", "flex"],
  ["bc", "bc"],
  ["perl", "perl"],
];

/** Headers the kernel's host programs include (objtool needs libelf, sign-file needs openssl). */
export const PREPARE_HEADERS: ReadonlyArray<readonly [header: string, debianPackage: string]> = [
  ["/usr/include/gelf.h", "libelf-dev"],
  ["/usr/include/openssl/opensslv.h", "libssl-dev"],
];

/** Bytes a prepare needs free: unpacked image ~0.4 GB, tree ~1.6 GB, packages ~0.25 GB, slack. */
export const PREPARE_NEEDS_BYTES = 3 * 1024 ** 3;

export function findInPath(program: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function ensureTools(tools: ReadonlyArray<readonly [string, string]> = PREPARE_TOOLS): void {
  for (const [tool, pkg] of tools) {
    if (!findInPath(tool)) throw new MissingToolError(tool, pkg);
  }
  for (const [header, pkg] of PREPARE_HEADERS) {
    if (!existsSync(header)) throw new MissingToolError(header, pkg);
  }
}

function existingAncestor(path: string): string {
  let dir = path;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export function formatGB(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
}

/** Throws a UserError naming the need and what is available when `dir`'s filesystem is short. */
export function ensureFreeSpace(dir: string, neededBytes: number = PREPARE_NEEDS_BYTES): void {
  const where = existingAncestor(dir);
  const fs = statfsSync(where);
  const available = fs.bavail * fs.bsize;
  if (available < neededBytes) {
    throw new UserError(
      `Not enough free disk space for ${dir}: preparing a target needs about ${formatGB(neededBytes)}, but only ${formatGB(available)} is available on that filesystem (set HOTPATCH_CACHE to use another disk).`,
    );
  }
}
