// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch build --new-source`: an update from the target's own source to a newer tree,
// turned into a series of fixes that the ordinary build pipeline (src/build) then triages and
// builds like any other series. This file finds the two trees (the newer one is Debian's
// linux-source of a later version, cached, or a directory; the target's source files are its
// tarball's), lists the Debian changelog entries between them, and reports; trees.ts splits
// the difference into fixes.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import type { Fix } from "../build/fixes.ts";
import { UserError } from "../errors/user-error.ts";
import {
  type ChangelogEntry,
  compareDebianVersions,
  entriesBetween,
  parseChangelog,
} from "../kernel/debian-changelog.ts";
import { prepareDebianSource, targetSourceFiles, targetSourcePackage } from "../kernel/debian-source.ts";
import type { TargetPaths } from "../kernel/target-layout.ts";
import { parseKconfig } from "../kernel/units.ts";
import { configLookup } from "./scope.ts";
import type { PulledIn } from "./split.ts";
import { listSourceFiles } from "./tree-diff.ts";
import { splitTrees } from "./trees.ts";

export interface UpdateRequest {
  paths: TargetPaths;
  /** `debian:VERSION` or a directory holding a kernel source tree. */
  newSource: string;
  /** `--paths`: files or directories (tree-relative) where the update starts. */
  selected?: string[];
  /** Where the patches and the series are written. */
  seriesDir: string;
  /** Scratch space (the build's work directory). */
  workDir: string;
  logFile: string;
  step: <T>(label: string, work: () => Promise<T>) => Promise<T>;
}

export interface UpdateReport {
  /** The target's source, e.g. "linux-source-6.1 6.1.176-1". */
  from: string;
  /** The newer source: "linux-source-6.1 6.1.187-1", or the directory. */
  to: string;
  files: { changed: number; modified: number; created: number; deleted: number };
  /** Changed files no kernel image is made of (Documentation/, tools/, scripts/, ...). */
  outsideKernel: string[];
  /** Changed files this configuration does not build. */
  notBuilt: string[];
  /** Changed files GNU diff finds binary (left out). */
  binary: string[];
  /** With --paths: the changed files chosen (built in this configuration). */
  chosen?: string[];
  /** With --paths: files the chosen changes need, with what needs them. */
  pulledIn: PulledIn[];
  /** Every fix of the split with its files, in series order. */
  split: Array<{ fix: string; files: string[] }>;
  /** The series file holding the fixes. */
  series: string;
  /** Debian changelog entries newer than the target's version, up to the newer source's. */
  changelog: ChangelogEntry[];
}

export interface UpdatePlan {
  fixes: Fix[];
  report: UpdateReport;
}

interface NewerSource {
  tree: string;
  label: string;
  files: string[];
  changelog: ChangelogEntry[];
}

const DEBIAN_VERSION = /^(\d+:)?\d+\.\d+(\.\d+)?-[A-Za-z0-9.+~]+$/;

/** The newer tree named by `--new-source`: a Debian version (downloaded, cached) or a directory. */
async function newerSource(req: UpdateRequest): Promise<NewerSource> {
  const own = targetSourcePackage(req.paths);
  if (req.newSource.startsWith("debian:")) {
    const version = req.newSource.slice("debian:".length);
    if (!DEBIAN_VERSION.test(version))
      throw new UserError(
        `'${req.newSource}' is not a Debian version: use debian:<version>, e.g. debian:6.1.187-1.`,
      );
    if (compareDebianVersions(version, own.version) <= 0)
      throw new UserError(
        `${own.name} ${version} is not newer than the target's own source (${own.version}): an update goes forward.`,
      );
    const source = await req.step(`get ${own.name} ${version} (downloaded and unpacked once, cached)`, () =>
      prepareDebianSource(own.name, version, req.logFile),
    );
    const entries = parseChangelog(gunzipSync(readFileSync(source.changelog)).toString("utf8"));
    return {
      tree: source.tree,
      label: `${own.name} ${version}`,
      files: listSourceFiles(source.tree),
      changelog: entriesBetween(entries, own.version, version),
    };
  }
  const dir = resolve(req.newSource);
  if (!existsSync(dir) || !statSync(dir).isDirectory() || !existsSync(join(dir, "include", "linux")))
    throw new UserError(
      `--new-source ${req.newSource} is neither debian:<version> nor a directory holding a kernel source tree.`,
    );
  return { tree: dir, label: dir, files: listSourceFiles(dir), changelog: [] };
}

export async function planUpdate(req: UpdateRequest): Promise<UpdatePlan> {
  const own = targetSourcePackage(req.paths);
  const newer = await newerSource(req);
  const oldFiles = await req.step("list the target's source files", () =>
    targetSourceFiles(req.paths, req.logFile),
  );
  const config = parseKconfig(readFileSync(join(req.paths.tree, ".config"), "utf8"));
  const from = `${own.name} ${own.version}`;
  const title = `update from ${from} to ${newer.label}`;
  const trees = await req.step(
    `compare the target's source with ${newer.label} and split it into fixes`,
    () =>
      splitTrees({
        oldTree: req.paths.tree,
        oldFiles,
        newTree: newer.tree,
        newFiles: newer.files,
        lookup: configLookup(req.paths.tree, config),
        selected: req.selected,
        label: newer.label,
        title,
        seriesDir: req.seriesDir,
        workDir: req.workDir,
      }),
  );
  const { changes, scoped } = trees;
  const report: UpdateReport = {
    from,
    to: newer.label,
    files: {
      changed: changes.length,
      modified: changes.filter((c) => c.status === "modified").length,
      created: changes.filter((c) => c.status === "created").length,
      deleted: changes.filter((c) => c.status === "deleted").length,
    },
    outsideKernel: scoped.outOfScope.filter((c) => c.scope === "outside-kernel").map((c) => c.path),
    notBuilt: scoped.outOfScope.filter((c) => c.scope === "not-built").map((c) => c.path),
    binary: trees.binary,
    chosen: trees.chosen,
    pulledIn: trees.pulledIn,
    split: trees.split,
    series: trees.series,
    changelog: newer.changelog,
  };
  return { fixes: trees.fixes, report };
}
