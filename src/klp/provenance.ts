// SPDX-License-Identifier: GPL-2.0-only
// The provenance of a fix: its file name and the sha256 of its bytes, which every module
// records once per fix it carries (modinfo `hotpatch_fix=<sha256> <name>`, see stub.ts).
// `hotpatch load` reads them back to refuse a cumulative patch that would drop a fix.
import { createHash } from "node:crypto";
import { basename } from "node:path";
import { UserError } from "../errors/user-error.ts";
import { readUserFile } from "../util/user-files.ts";
import type { FixProvenance } from "./types.ts";

/** The modinfo tag of a carried fix (the runtime reads the same tag). */
export const FIX_MODINFO_TAG = "hotpatch_fix";

/**
 * The value of one `hotpatch_fix` entry. The name follows the first space, so it may hold
 * spaces itself; it may not hold control characters (modinfo values end at NUL, and a line
 * break would break every listing that shows it).
 */
export function fixModinfoValue(fix: FixProvenance): string {
  if (!/^[0-9a-f]{64}$/.test(fix.sha256)) throw new Error(`not a sha256: ${fix.sha256}`);
  const control = [...fix.name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (fix.name === "" || control) {
    throw new UserError(
      `The fix file name ${JSON.stringify(fix.name)} cannot be recorded in the module: rename it without control characters.`,
    );
  }
  return `${fix.sha256} ${fix.name}`;
}

/** Name and sha256 of a fix file as the user gave it. */
export function fixProvenance(fixPath: string): FixProvenance {
  const bytes = readUserFile(fixPath, "a fix (unified diff)");
  const fix = { name: basename(fixPath), sha256: createHash("sha256").update(bytes).digest("hex") };
  fixModinfoValue(fix); // refuse an unrecordable name here, before any build work
  return fix;
}
