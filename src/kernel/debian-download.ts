// SPDX-License-Identifier: GPL-2.0-only
// Downloads a target's .deb files with `apt-get download` into one cache directory shared by
// every target, so a package (e.g. one linux-source) is fetched once and reused. Each file is
// downloaded into a private scratch directory and renamed into place, so concurrent prepares
// never see a half-written .deb.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { cacheRoot } from "../util/cache.ts";
import { run } from "../util/run.ts";
import { type DebianPackage, explainAptFailure } from "./debian-packages.ts";

function downloadsDir(): string {
  return join(cacheRoot(), "downloads", "debian");
}

function cachedDebPath(pkg: DebianPackage): string {
  return join(downloadsDir(), pkg.file);
}

/** A cached .deb is reused only when its size is the one apt's lists give (apt checked its hash). */
function isCached(pkg: DebianPackage): boolean {
  const path = cachedDebPath(pkg);
  return existsSync(path) && statSync(path).size === pkg.size;
}

export interface DownloadResult {
  /** Path of each package's .deb, in the order given. */
  paths: string[];
  /** Names of the packages that were actually downloaded (the others came from the cache). */
  downloaded: string[];
}

export async function downloadPackages(packages: DebianPackage[], logFile: string): Promise<DownloadResult> {
  const missing = packages.filter((pkg) => !isCached(pkg));
  if (missing.length > 0) {
    const scratch = join(downloadsDir(), `.partial-${process.pid}-${Date.now()}`);
    mkdirSync(scratch, { recursive: true });
    try {
      await run("apt-get", ["download", ...missing.map((pkg) => `${pkg.name}=${pkg.version}`)], {
        cwd: scratch,
        logFile,
        what: `apt-get download of ${missing.map((pkg) => pkg.name).join(", ")}`,
      }).catch((error: unknown) => {
        throw explainAptFailure(error, "apt-get download");
      });
      const files = readdirSync(scratch);
      for (const pkg of missing) {
        // apt names the file <name>_<version with ':' escaped>_<arch>.deb, normally the pool name.
        const got = files.find((f) => f === pkg.file) ?? files.find((f) => f.startsWith(`${pkg.name}_`));
        if (!got) throw new Error(`apt-get download produced no file for ${pkg.name}`);
        renameSync(join(scratch, got), cachedDebPath(pkg));
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return { paths: packages.map(cachedDebPath), downloaded: missing.map((pkg) => pkg.name) };
}
