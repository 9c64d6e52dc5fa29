// SPDX-License-Identifier: GPL-2.0-only
// Livepatch module names: the kernel wants at most 55 characters (MODULE_NAME_LEN - 1 and the
// `.klp.sym.<objname>` parser's field width), and underscores rather than dashes so the name
// in /sys/kernel/livepatch equals the module name.
import { basename } from "node:path";
import { UserError } from "../errors/user-error.ts";

export const MAX_MODULE_NAME = 55;
const VALID = /^[a-z_][a-z0-9_]*$/;

/** `hp_<sanitized fix file name>`, cut to 55 characters. */
export function moduleNameFromFix(fixPath: string): string {
  const stem = basename(fixPath)
    .replace(/\.(patch|diff)$/i, "")
    .toLowerCase();
  const clean = stem
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^_|_$/g, "");
  return `hp_${clean || "fix"}`.slice(0, MAX_MODULE_NAME).replace(/_$/, "");
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
