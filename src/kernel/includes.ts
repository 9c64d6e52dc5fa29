// SPDX-License-Identifier: GPL-2.0-only
// Which C files include a header, directly or through other headers: a regex scan of every
// `#include` in the tree (x86 and generic code only), cached as JSON per target. Names resolve
// like the compiler resolves them: the including file's own directory for "quoted" names, the
// `-I` directories its Makefiles add (ccflags-y, subdir-ccflags-y, CFLAGS_<unit>.o), then
// kbuild's standard directories. A name none of these finds (an -I built from a variable the
// scan cannot evaluate) is matched against every file whose path ends with it: more includers,
// never fewer. It still over-approximates (an #include under a false #if counts) and misses
// computed #include names; the build narrows the result with the preprocessor itself
// (src/kernel/preprocess.ts), which has the last word.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
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
const INDEX_VERSION = 2;

export interface IncludeIndex {
  version: number;
  /** file -> the files it includes (resolved, relative to the tree root). */
  includes: Record<string, string[]>;
}

interface SourceTree {
  /** .c and .h files, tree-relative. */
  files: string[];
  /** Directories holding a Makefile or Kbuild, tree-relative. */
  makefileDirs: string[];
}

function listSources(tree: string): SourceTree {
  const files: string[] = [];
  const makefileDirs: string[] = [];
  const walk = (rel: string) => {
    const abs = rel ? join(tree, rel) : tree;
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!rel && SKIP_TOP.has(entry.name)) continue;
        if (rel === "arch" && entry.name !== "x86") continue;
        walk(path);
      } else if (entry.isFile() && (entry.name.endsWith(".c") || entry.name.endsWith(".h"))) {
        files.push(path);
      } else if (entry.isFile() && rel && (entry.name === "Makefile" || entry.name === "Kbuild")) {
        if (!makefileDirs.includes(rel)) makefileDirs.push(rel);
      }
    }
  };
  walk("");
  return { files, makefileDirs };
}

/** `-I` directories one Makefile adds, for its own units (`local`) and its subdirectories' too. */
interface MakefileIncludes {
  local: string[];
  inherited: string[];
}

/**
 * The -I directories of `dir`'s Makefile/Kbuild: `-I$(src)`, `-I $(srctree)/$(src)/x`,
 * `-I$(srctree)/drivers/y`, `-Ivirt/kvm`. Directories built from other variables are skipped
 * (the suffix fallback covers them). A per-unit `CFLAGS_x.o` counts for the whole directory:
 * more includers, never fewer.
 */
export function makefileIncludeDirs(makefileText: string, dir: string): MakefileIncludes {
  const found: MakefileIncludes = { local: [], inherited: [] };
  const text = makefileText.replace(/\\\n/g, " ");
  for (const line of text.split("\n")) {
    const m = /^\s*([A-Za-z0-9_.$()-]+)\s*(?:\+=|:=|\?=|=)(.*)$/.exec(line.replace(/#.*$/, ""));
    if (!m) continue;
    const lhs = m[1] as string;
    const inherited = lhs.startsWith("subdir-ccflags");
    if (!inherited && !/^(ccflags|CFLAGS_|EXTRA_CFLAGS|asflags)/.test(lhs)) continue;
    for (const flag of (m[2] as string).matchAll(/-I\s*(\S+)/g)) {
      const resolved = resolveMakeDir(flag[1] as string, dir);
      if (!resolved) continue;
      const list = inherited ? found.inherited : found.local;
      if (!list.includes(resolved)) list.push(resolved);
    }
  }
  return found;
}

/** A Makefile -I argument as a tree-relative directory, when only $(src)/$(obj)/$(srctree) occur. */
function resolveMakeDir(arg: string, dir: string): string | undefined {
  const expanded = arg
    .replaceAll("$(srctree)/$(src)", dir)
    .replaceAll("$(objtree)/$(obj)", dir)
    .replaceAll("$(src)", dir)
    .replaceAll("$(obj)", dir)
    .replace(/^\$\((?:srctree|objtree)\)\/?/, "");
  if (expanded.includes("$(") || expanded.startsWith("/")) return undefined;
  const clean = normalize(expanded).replace(/\/$/, "");
  return clean.startsWith("..") ? undefined : clean === "." ? "" : clean;
}

/** For every directory, the extra -I directories its units see (own Makefile, then parents'). */
function extraDirsByDirectory(tree: string, makefileDirs: string[]): Map<string, string[]> {
  const own = new Map<string, MakefileIncludes>();
  for (const dir of makefileDirs) {
    for (const name of ["Kbuild", "Makefile"]) {
      const file = join(tree, dir, name);
      if (!existsSync(file)) continue;
      own.set(dir, makefileIncludeDirs(readFileSync(file, "utf8"), dir));
      break;
    }
  }
  const memo = new Map<string, string[]>();
  const inheritedFrom = (dir: string): string[] => {
    if (dir === "." || dir === "") return [];
    const cached = memo.get(dir);
    if (cached) return cached;
    const list = [...(own.get(dir)?.inherited ?? []), ...inheritedFrom(dirname(dir))];
    memo.set(dir, list);
    return list;
  };
  const result = new Map<string, string[]>();
  for (const dir of makefileDirs) {
    const extra = [...(own.get(dir)?.local ?? []), ...inheritedFrom(dir)];
    if (extra.length > 0) result.set(dir, extra);
  }
  return result;
}

const INCLUDE_RE = /^[ \t]*#[ \t]*include[ \t]*([<"])([^>"\n]+)[>"]/gm;

interface Resolver {
  known: Set<string>;
  /** The extra -I directories of a directory's units, from its Makefiles. */
  extraDirs: Map<string, string[]>;
  /** Files by base name, for the suffix fallback. */
  byBaseName: Map<string, string[]>;
}

/** Resolves one #include of `from` to tree-relative paths (several only for the fallback). */
function resolveInclude(r: Resolver, from: string, quote: string, name: string): string[] {
  if (quote === '"') {
    const local = normalize(join(dirname(from), name));
    if (r.known.has(local)) return [local];
  }
  const dirs = [...(r.extraDirs.get(dirname(from)) ?? []), ...INCLUDE_DIRS];
  for (const dir of dirs) {
    const path = normalize(join(dir, name));
    if (r.known.has(path)) return [path];
  }
  // An -I the scan could not evaluate: every file the name could mean.
  const clean = normalize(name);
  if (clean.startsWith("..")) return [];
  const base = clean.slice(clean.lastIndexOf("/") + 1);
  return (r.byBaseName.get(base) ?? []).filter((f) => f === clean || f.endsWith(`/${clean}`));
}

/** Scans the tree (about 50,000 files; a few seconds) and returns the include graph. */
export function scanIncludes(tree: string): IncludeIndex {
  const { files, makefileDirs } = listSources(tree);
  const byBaseName = new Map<string, string[]>();
  for (const f of files) {
    const base = f.slice(f.lastIndexOf("/") + 1);
    const list = byBaseName.get(base);
    if (list) list.push(f);
    else byBaseName.set(base, [f]);
  }
  const resolver: Resolver = {
    known: new Set(files),
    extraDirs: extraDirsByDirectory(tree, makefileDirs),
    byBaseName,
  };
  const includes: Record<string, string[]> = {};
  for (const file of files) {
    const text = readFileSync(join(tree, file), "latin1");
    const targets = new Set<string>();
    for (const m of text.matchAll(INCLUDE_RE)) {
      for (const resolved of resolveInclude(resolver, file, m[1] as string, (m[2] as string).trim()))
        if (resolved !== file) targets.add(resolved);
    }
    if (targets.size > 0) includes[file] = [...targets];
  }
  return { version: INDEX_VERSION, includes };
}
/**
 * Indexes parsed in this process, by cache file. Parsing the JSON costs ~0.2 s and a plan asks
 * for the index once per touched file: an update touches over a thousand.
 */
const loaded = new Map<string, { mtimeMs: number; index: IncludeIndex }>();

/** The cached include graph of a tree (scanned once, stored at `cacheFile`). */
export function loadIncludeIndex(tree: string, cacheFile: string): IncludeIndex {
  const seen = loaded.get(cacheFile);
  if (seen && existsSync(cacheFile) && statSync(cacheFile).mtimeMs === seen.mtimeMs) return seen.index;
  let index: IncludeIndex | undefined;
  if (existsSync(cacheFile)) {
    const parsed = JSON.parse(readFileSync(cacheFile, "utf8")) as IncludeIndex;
    if (parsed.version === INDEX_VERSION) index = parsed;
  }
  if (!index) {
    index = scanIncludes(tree);
    writeFileAtomic(cacheFile, JSON.stringify(index));
  }
  loaded.set(cacheFile, { mtimeMs: statSync(cacheFile).mtimeMs, index });
  return index;
}

/** For each included file, the files that include it directly (built once per index). */
const reverseIndexes = new WeakMap<IncludeIndex, Map<string, string[]>>();

export function directIncluders(index: IncludeIndex): Map<string, string[]> {
  let reverse = reverseIndexes.get(index);
  if (reverse) return reverse;
  reverse = new Map<string, string[]>();
  for (const [file, targets] of Object.entries(index.includes)) {
    for (const target of targets) {
      const list = reverse.get(target);
      if (list) list.push(file);
      else reverse.set(target, [file]);
    }
  }
  reverseIndexes.set(index, reverse);
  return reverse;
}

/** The .c files that include `header` directly or transitively, sorted. */
export function headerUsers(index: IncludeIndex, header: string): string[] {
  const reverse = directIncluders(index);
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
