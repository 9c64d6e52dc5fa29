// SPDX-License-Identifier: GPL-2.0-only
// Which C files include a header, directly or through other headers: a regex scan of every
// `#include` in the tree (x86 and generic code only), resolved against kbuild's standard
// include directories, cached as JSON per target. It is an over-approximation in one way
// (#include under #if that is false still counts) and an under-approximation in another
// (directories adding their own -I paths, and computed #include names, are not followed);
// the result is reported as such.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { writeFileAtomic } from "../util/atomic.ts";

/** kbuild's -I order for x86 (LINUXINCLUDE), relative to the tree root. */
const INCLUDE_DIRS = [
  "arch/x86/include",
  "arch/x86/include/generated",
  "include",
  "arch/x86/include/uapi",
  "arch/x86/include/generated/uapi",
  "include/uapi",
  "include/generated/uapi",
];

const SKIP_TOP = new Set([
  "Documentation",
  "tools",
  "scripts",
  "samples",
  "usr",
  "LICENSES",
  ".git",
  "debian",
]);
const INDEX_VERSION = 1;

export interface IncludeIndex {
  version: number;
  /** file -> the files it includes (resolved, relative to the tree root). */
  includes: Record<string, string[]>;
}

function listSources(tree: string): string[] {
  const found: string[] = [];
  const walk = (rel: string) => {
    const abs = rel ? join(tree, rel) : tree;
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!rel && SKIP_TOP.has(entry.name)) continue;
        if (rel === "arch" && entry.name !== "x86") continue;
        walk(path);
      } else if (entry.isFile() && (entry.name.endsWith(".c") || entry.name.endsWith(".h"))) {
        found.push(path);
      }
    }
  };
  walk("");
  return found;
}

const INCLUDE_RE = /^[ \t]*#[ \t]*include[ \t]*([<"])([^>"\n]+)[>"]/gm;

/** Resolves one #include of `from` to a tree-relative path, or undefined. */
function resolveInclude(known: Set<string>, from: string, quote: string, name: string): string | undefined {
  if (quote === '"') {
    const local = normalize(join(dirname(from), name));
    if (known.has(local)) return local;
  }
  for (const dir of INCLUDE_DIRS) {
    const path = normalize(join(dir, name));
    if (known.has(path)) return path;
  }
  return undefined;
}

/** Scans the tree (about 50,000 files; a few seconds) and returns the include graph. */
export function scanIncludes(tree: string): IncludeIndex {
  const files = listSources(tree);
  const known = new Set(files);
  const includes: Record<string, string[]> = {};
  for (const file of files) {
    const text = readFileSync(join(tree, file), "latin1");
    const targets: string[] = [];
    for (const m of text.matchAll(INCLUDE_RE)) {
      const resolved = resolveInclude(known, file, m[1] as string, (m[2] as string).trim());
      if (resolved && !targets.includes(resolved)) targets.push(resolved);
    }
    if (targets.length > 0) includes[file] = targets;
  }
  return { version: INDEX_VERSION, includes };
}

/** The cached include graph of a tree (scanned once, stored at `cacheFile`). */
export function loadIncludeIndex(tree: string, cacheFile: string): IncludeIndex {
  if (existsSync(cacheFile)) {
    const parsed = JSON.parse(readFileSync(cacheFile, "utf8")) as IncludeIndex;
    if (parsed.version === INDEX_VERSION) return parsed;
  }
  const index = scanIncludes(tree);
  writeFileAtomic(cacheFile, JSON.stringify(index));
  return index;
}

/** The .c files that include `header` directly or transitively, sorted. */
export function headerUsers(index: IncludeIndex, header: string): string[] {
  const reverse = new Map<string, string[]>();
  for (const [file, targets] of Object.entries(index.includes)) {
    for (const target of targets) {
      const list = reverse.get(target);
      if (list) list.push(file);
      else reverse.set(target, [file]);
    }
  }
  const seen = new Set<string>([header]);
  const queue = [header];
  const users: string[] = [];
  while (queue.length > 0) {
    const current = queue.pop() as string;
    for (const includer of reverse.get(current) ?? []) {
      if (seen.has(includer)) continue;
      seen.add(includer);
      if (includer.endsWith(".c")) users.push(includer);
      // A .c file included by another .c (kernel code does this) passes changes on too.
      queue.push(includer);
    }
  }
  return users.sort();
}
