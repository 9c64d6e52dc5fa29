// SPDX-License-Identifier: GPL-2.0-only
// Which fixes a livepatch carries, and which ones a cumulative (replace-mode) patch would drop.
// hotpatch-built modules record every fix they carry in their modinfo, one
// `hotpatch_fix=<sha256> <fix file name>` entry each. A module with no such entry (built by
// something else, or by an older hotpatch) carries fixes nobody can name: replacing it is
// treated as dropping all of them. Fixes are matched by name: a cumulative patch built from a
// revised version of a fix still carries that fix.
import { UserError } from "../errors/user-error.ts";

/** One fix a module carries: the fix file's name and the sha256 of its bytes. */
export interface FixRecord {
  fix: string;
  sha256: string;
}

/** A patch (loaded or installed) and its fixes; null when they are not known. */
export interface CarriedFixes {
  patch: string;
  fixes: FixRecord[] | null;
}

/** What replacing `patch` would lose: the fixes the new patch lacks, or null for "all of its unknown fixes". */
export interface DroppedFixes {
  patch: string;
  fixes: FixRecord[] | null;
}

export const FIX_TAG = "hotpatch_fix";

/**
 * The fixes recorded in a module's modinfo values (`<64 hex> <name>`); null when it records
 * none. A malformed entry is refused: provenance that cannot be read cannot be trusted.
 */
export function parseFixEntries(values: string[] | undefined, path: string): FixRecord[] | null {
  if (!values || values.length === 0) return null;
  return values.map((value) => {
    const m = /^([0-9a-f]{64}) (.+)$/.exec(value);
    if (!m) {
      throw new UserError(
        `${path} has a malformed ${FIX_TAG} modinfo entry ${JSON.stringify(value)} (expected '<sha256> <fix file name>').`,
      );
    }
    return { fix: m[2] as string, sha256: m[1] as string };
  });
}

/** What a patch carrying `carried` would drop by replacing each of `replaced`. */
export function droppedFixes(replaced: CarriedFixes[], carried: FixRecord[] | null): DroppedFixes[] {
  const names = new Set((carried ?? []).map((f) => f.fix));
  const dropped: DroppedFixes[] = [];
  for (const old of replaced) {
    if (old.fixes === null) dropped.push({ patch: old.patch, fixes: null });
    else {
      const lost = old.fixes.filter((f) => !names.has(f.fix));
      if (lost.length > 0) dropped.push({ patch: old.patch, fixes: lost });
    }
  }
  return dropped;
}

/** "fix A of patch P; whatever patch Q fixes (not recorded)" — for one-sentence refusals and reports. */
export function describeDropped(dropped: DroppedFixes[], patchWord = "loaded patch"): string {
  return dropped
    .map(({ patch, fixes }) =>
      fixes === null
        ? `whatever ${patchWord} ${patch} fixes (its module records no fixes)`
        : `fix${fixes.length === 1 ? "" : "es"} ${fixes.map((f) => f.fix).join(", ")} of ${patchWord} ${patch}`,
    )
    .join("; ");
}

/** Count of named fixes, with unknown ones counted once per patch: to choose "it" or "them". */
export function droppedCount(dropped: DroppedFixes[]): number {
  return dropped.reduce((n, d) => n + (d.fixes?.length ?? 1), 0);
}
