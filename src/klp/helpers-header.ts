// SPDX-License-Identifier: GPL-2.0-only
// Makes include/hotpatch/klp-helpers.h (callbacks and shadow variables for fixes) available
// to a fix that includes it: the fix is copied with an extra hunk that creates the header in
// the scratch view of the tree, so `#include <hotpatch/klp-helpers.h>` resolves through the
// kernel's own `-I./include` and the pristine tree stays untouched.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const HELPERS_HEADER = "include/hotpatch/klp-helpers.h";

/** The repository's copy of the header, found upwards from this file (bundle or source). */
export function helpersHeaderPath(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, HELPERS_HEADER);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

/** A unified diff that creates `path` with `text`. */
export function newFileDiff(path: string, text: string): string {
  const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
  return [
    `--- /dev/null`,
    `+++ b/${path}`,
    `@@ -0,0 +1,${lines.length} @@`,
    ...lines.map((l) => `+${l}`),
    "",
  ].join("\n");
}

/**
 * The fix to build: the given one, or a copy that also creates the helpers header (in a
 * temporary directory that `cleanup` removes).
 */
export function fixWithHelpers(fixPath: string): { path: string; cleanup: () => void } {
  const unchanged = { path: fixPath, cleanup: () => {} };
  const text = readFileSync(fixPath, "utf8");
  if (!text.includes("hotpatch/klp-helpers.h") || text.includes(`+++ b/${HELPERS_HEADER}`)) return unchanged;
  const header = helpersHeaderPath();
  if (!header) return unchanged;
  const dir = mkdtempSync(join(tmpdir(), "hotpatch-fix-"));
  const out = join(dir, fixPath.split("/").pop() ?? "fix.patch");
  writeFileSync(
    out,
    `${text.endsWith("\n") ? text : `${text}\n`}${newFileDiff(HELPERS_HEADER, readFileSync(header, "utf8"))}`,
  );
  return { path: out, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
