// SPDX-License-Identifier: GPL-2.0-only
// Livepatch module names: the kernel wants at most 55 characters (MODULE_NAME_LEN - 1 and the
// `.klp.sym.<objname>` parser's field width), and underscores rather than dashes so the name
// in /sys/kernel/livepatch equals the module name.
import { createHash } from "node:crypto";
import { basename, dirname, resolve } from "node:path";
import { UserError } from "../errors/user-error.ts";

export const MAX_MODULE_NAME = 55;
const VALID = /^[a-z_][a-z0-9_]*$/;

function sanitized(path: string): string {
  return basename(path)
    .replace(/\.(patch|diff)$/i, "")
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^_|_$/g, "");
}

/** `hp_<sanitized fix file name>`, cut to 55 characters. */
export function moduleNameFromFix(fixPath: string): string {
  return `hp_${sanitized(fixPath) || "fix"}`.slice(0, MAX_MODULE_NAME).replace(/_$/, "");
}

/**
 * `hp_<series or directory name>_<8 hex of the fixes' hashes>`: two builds of different fix
 * sets get different names, so a cumulative update can replace the one before it.
 */
export function moduleNameFromSeries(seriesPath: string, fixHashes: string[]): string {
  const base = sanitized(seriesPath === "." ? process.cwd() : seriesPath) || "cumulative";
  const stem = base === "series" ? sanitized(dirname(resolve(seriesPath))) || "cumulative" : base;
  const hash = createHash("sha256").update(fixHashes.join("\n")).digest("hex").slice(0, 8);
  return `hp_${stem.slice(0, MAX_MODULE_NAME - 12).replace(/_$/, "")}_${hash}`;
}

/** Checks a user-given --name. */
export function checkModuleName(name: string): string {
  if (!VALID.test(name) || name.length > MAX_MODULE_NAME) {
    throw new UserError(
      `'${name}' is not a valid livepatch module name: use lowercase letters, digits and underscores, at most ${MAX_MODULE_NAME} characters.`,
    );
  }
  return name;
}
