// SPDX-License-Identifier: GPL-2.0-only
// Which source files differ between two kernel trees: the target's (its source files only, as
// its linux-source tarball lists them: kbuild's outputs beside them are not source) and a
// newer one. Regular files only (the few symlinks of a kernel tree are under tools/ and
// scripts/dtc/). Files whose sizes differ changed; files of equal size are compared byte for
// byte (about 2 s for the 80,000 files of a 6.1 tree once they are in the page cache).
import { lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";

export type ChangeStatus = "modified" | "created" | "deleted";

export interface ChangedFile {
  /** Tree-relative path, e.g. net/unix/af_unix.c. */
  path: string;
  status: ChangeStatus;
}

/**
 * What kbuild writes into a tree it builds in (objects, .cmd files, generated headers, the
 * configuration): never source, so a newer tree given as a directory that was built in still
 * compares on its source files only.
 */
export function isBuildOutput(path: string): boolean {
  const name = basename(path);
  return (
    /^\..*\.(cmd|d|tmp)$/.test(name) ||
    /\.(o|ko|a|mod|mod\.c|order|symvers|i|lst|dtb)$/.test(name) ||
    /^\.(config|config\.old|kernelvariables|version|tmp_.*)$/.test(name) ||
    /^(vmlinux|System\.map|modules\.builtin.*)$/.test(name) ||
    /^(include\/(generated|config)|arch\/[^/]+\/include\/generated)\//.test(path)
  );
}

/** Regular files below `root` (tree-relative paths), `.git` and kbuild's outputs left out. */
export function listSourceFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(rel ? join(root, rel) : root, { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name !== ".git") walk(path);
      } else if (entry.isFile() && !isBuildOutput(path)) found.push(path);
    }
  };
  walk("");
  return found;
}

function isRegularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

function sameContent(a: string, b: string): boolean {
  if (statSync(a).size !== statSync(b).size) return false;
  return readFileSync(a).equals(readFileSync(b));
}

/**
 * The files that differ between `oldRoot` (its source files `oldFiles`) and `newRoot` (its
 * source files `newFiles`), sorted by path.
 */
export function compareTrees(
  oldRoot: string,
  oldFiles: readonly string[],
  newRoot: string,
  newFiles: readonly string[],
): ChangedFile[] {
  const oldSet = new Set(oldFiles.filter((f) => isRegularFile(join(oldRoot, f))));
  const changes: ChangedFile[] = [];
  const seen = new Set<string>();
  for (const path of newFiles) {
    seen.add(path);
    if (!oldSet.has(path)) changes.push({ path, status: "created" });
    else if (!sameContent(join(oldRoot, path), join(newRoot, path)))
      changes.push({ path, status: "modified" });
  }
  for (const path of oldSet) if (!seen.has(path)) changes.push({ path, status: "deleted" });
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
