// SPDX-License-Identifier: GPL-2.0-only
// The two source trees of an update. The newer one is Debian's linux-source-<series> of a
// later version, downloaded like the target's packages and unpacked once into the cache
// (sources/debian/<package>_<version>/: tree/ and changelog.Debian.gz); it is unpacked beside
// that name and renamed into place under a lock, so nobody ever reads a half-unpacked tree.
// (Unlike a target's tree it is never built in, so a rename is safe.) The older one is the
// target's prepared tree, which also holds what kbuild made there; which of its files are
// source is read once from the target's own linux-source tarball and remembered.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors/user-error.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { cacheRoot } from "../util/cache.ts";
import { withLock } from "../util/lock.ts";
import { downloadPackages } from "./debian-download.ts";
import { readManifest } from "./debian-manifest.ts";
import { findPackage } from "./debian-packages.ts";
import { extractSourceTree, listSourceTarball } from "./extract.ts";
import type { TargetPaths } from "./target-layout.ts";

export interface SourceTree {
  /** e.g. "linux-source-6.1". */
  packageName: string;
  /** e.g. "6.1.187-1". */
  version: string;
  /** The unpacked tree (Debian's patches applied, never configured or built). */
  tree: string;
  /** The package's changelog.Debian.gz. */
  changelog: string;
}

export function sourceCacheDir(packageName: string, version: string): string {
  return join(cacheRoot(), "sources", "debian", `${packageName}_${version}`);
}

function sourceAt(dir: string, packageName: string, version: string): SourceTree {
  return { packageName, version, tree: join(dir, "tree"), changelog: join(dir, "changelog.Debian.gz") };
}

/** The target's source package record (name and version) from its manifest. */
export function targetSourcePackage(paths: TargetPaths): { name: string; version: string; file: string } {
  const manifest = readManifest(paths.manifest);
  const source = manifest?.packages.find((p) => p.name.startsWith("linux-source-"));
  if (!source) throw new UserError(`The target at ${paths.root} records no linux-source package.`);
  return source;
}

/**
 * `packageName=version` unpacked in the cache (downloaded and unpacked on first use; safe to
 * run concurrently: one process unpacks, the others wait for the lock and reuse it).
 */
export async function prepareDebianSource(
  packageName: string,
  version: string,
  logFile: string,
): Promise<SourceTree> {
  const dir = sourceCacheDir(packageName, version);
  if (existsSync(dir)) return sourceAt(dir, packageName, version);
  return withLock(
    `${dir}.lock`,
    async () => {
      if (existsSync(dir)) return sourceAt(dir, packageName, version);
      const pkg = await findPackage(packageName, version, logFile);
      const [deb] = (await downloadPackages([pkg], logFile)).paths as [string];
      const partial = `${dir}.partial-${process.pid}-${Date.now()}`;
      try {
        mkdirSync(partial, { recursive: true });
        const at = sourceAt(partial, packageName, version);
        await extractSourceTree(deb, at.tree, join(partial, "deb"), logFile, at.changelog);
        renameSync(partial, dir);
      } finally {
        rmSync(partial, { recursive: true, force: true });
      }
      return sourceAt(dir, packageName, version);
    },
    { what: `the ${packageName} ${version} source in the cache` },
  );
}

/**
 * The source files of the target's prepared tree (tree-relative paths): its linux-source
 * tarball's listing, read once and kept in the target's cache directory.
 */
export async function targetSourceFiles(paths: TargetPaths, logFile: string): Promise<string[]> {
  const listFile = join(paths.root, "cache", "source-files.txt");
  if (existsSync(listFile)) return readFileSync(listFile, "utf8").split("\n").filter(Boolean);
  const record = targetSourcePackage(paths);
  const pkg = await findPackage(record.name, record.version, logFile);
  const [deb] = (await downloadPackages([pkg], logFile)).paths as [string];
  const files = await listSourceTarball(deb, join(paths.root, "cache", `list-${process.pid}`), logFile);
  writeFileAtomic(listFile, `${files.join("\n")}\n`);
  return files;
}
