// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch build --new-source`: an update from the target's own source to a newer tree,
// turned into a series of fixes that the ordinary build pipeline (src/build) then triages and
// builds like any other series. The steps:
//   1. the newer tree: Debian's linux-source of a later version (cached) or a directory;
//   2. the source files that differ from the target's (tree-diff.ts);
//   3. those this configuration builds, and those under --paths (scope.ts);
//   4. one unified diff per file, the names each change defines and uses (names.ts), and the
//      split into fixes of files that belong together (split.ts);
//   5. the patches and a quilt series written out (series.ts), read back as the build's fixes.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, normalize, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { type Fix, readFixes } from "../build/fixes.ts";
import { ExitCode, UserError } from "../errors/user-error.ts";
import {
  type ChangelogEntry,
  compareDebianVersions,
  entriesBetween,
  parseChangelog,
} from "../kernel/debian-changelog.ts";
import { prepareDebianSource, targetSourceFiles, targetSourcePackage } from "../kernel/debian-source.ts";
import { changedLines } from "../kernel/hunks.ts";
import type { TargetPaths } from "../kernel/target-layout.ts";
import { parseKconfig } from "../kernel/units.ts";
import { changeNames } from "./names.ts";
import { configLookup, scopeChanges } from "./scope.ts";
import { patchName, type SeriesPatch, unifiedDiffs, writeSeries } from "./series.ts";
import { type PulledIn, type Split, splitChanges } from "./split.ts";
import { type ChangedFile, compareTrees, listSourceFiles } from "./tree-diff.ts";

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

/** The changed files under the --paths given (each a file or a directory of either tree). */
function chosenFiles(selected: string[], changes: ChangedFile[], trees: string[]): Set<string> {
  const chosen = new Set<string>();
  for (const raw of selected) {
    const p = normalize(raw).replace(/\/+$/, "");
    if (p.startsWith("..") || p.startsWith("/"))
      throw new UserError(`--paths ${raw} is not a path inside the kernel tree.`);
    if (!trees.some((t) => existsSync(join(t, p))))
      throw new UserError(`--paths ${raw} names no file or directory of either tree.`);
    const under = changes.filter((c) => c.path === p || c.path.startsWith(`${p}/`));
    for (const c of under) chosen.add(c.path);
  }
  return chosen;
}

/** The lines a file's diff changes, per side (a created or deleted file: all of them). */
function linesOf(change: ChangedFile, diff: string, oldText: string, newText: string) {
  const all = (text: string) => Array.from({ length: text.split("\n").length }, (_, i) => i + 1);
  if (change.status === "created") return { old: [], new: all(newText) };
  if (change.status === "deleted") return { old: all(oldText), new: [] };
  return changedLines(diff, change.path);
}

interface FileDiff {
  change: ChangedFile;
  diff: string;
}

/** The names each C file's change defines and uses (other files define and use nothing). */
function namedChanges(diffs: FileDiff[], oldTree: string, newTree: string) {
  return diffs.map(({ change, diff }) => {
    const isC = /\.[ch]$/.test(change.path);
    const read = (root: string, exists: boolean) =>
      isC && exists ? readFileSync(join(root, change.path), "latin1") : "";
    const oldText = read(oldTree, change.status !== "created");
    const newText = read(newTree, change.status !== "deleted");
    return {
      path: change.path,
      names: changeNames(change.path, oldText, newText, linesOf(change, diff, oldText, newText)),
    };
  });
}

/** One patch per group: a short header saying what ties its files, then their diffs. */
function patchesOf(split: Split, diffs: Map<string, string>, title: string): SeriesPatch[] {
  return split.groups.map((files, i) => {
    const ties = split.needs
      .filter((n) => files.includes(n.from))
      .map((n) => `  ${n.from} uses ${n.names.join(", ")} from ${n.to}`);
    const header = [`hotpatch: ${title}, fix ${i + 1} of ${split.groups.length}`, ...ties, ""];
    return {
      name: patchName(i, split.groups.length, files[0] as string),
      text: header.join("\n") + files.map((f) => diffs.get(f) ?? "").join(""),
    };
  });
}

export async function planUpdate(req: UpdateRequest): Promise<UpdatePlan> {
  const own = targetSourcePackage(req.paths);
  const newer = await newerSource(req);
  const changes = await req.step(`compare the target's source with ${newer.label}`, async () => {
    const oldFiles = await targetSourceFiles(req.paths, req.logFile);
    return compareTrees(req.paths.tree, oldFiles, newer.tree, newer.files);
  });
  const config = parseKconfig(readFileSync(join(req.paths.tree, ".config"), "utf8"));
  const scoped = scopeChanges(changes, configLookup(req.paths.tree, config));
  const chosen = req.selected ? chosenFiles(req.selected, changes, [req.paths.tree, newer.tree]) : undefined;
  if (chosen && chosen.size === 0)
    throw new UserError(
      `No file under --paths ${req.selected?.join(" ")} differs between the target's source and ${newer.label}.`,
      [],
      ExitCode.NO_CHANGE,
    );
  const report: UpdateReport = {
    from: `${own.name} ${own.version}`,
    to: newer.label,
    files: {
      changed: changes.length,
      modified: changes.filter((c) => c.status === "modified").length,
      created: changes.filter((c) => c.status === "created").length,
      deleted: changes.filter((c) => c.status === "deleted").length,
    },
    outsideKernel: scoped.outOfScope.filter((c) => c.scope === "outside-kernel").map((c) => c.path),
    notBuilt: scoped.outOfScope.filter((c) => c.scope === "not-built").map((c) => c.path),
    binary: [],
    chosen: chosen ? scoped.inScope.map((c) => c.path).filter((p) => chosen.has(p)) : undefined,
    pulledIn: [],
    split: [],
    series: join(req.seriesDir, "series"),
    changelog: newer.changelog,
  };
  if (report.chosen?.length === 0)
    throw new UserError(
      `None of the changed files under --paths ${req.selected?.join(" ")} is built in this configuration.`,
      [],
      ExitCode.NO_CHANGE,
    );
  const fixes = await req.step("split the differences into fixes", async () => {
    const diffs: FileDiff[] = [];
    const texts = await unifiedDiffs(req.paths.tree, newer.tree, scoped.inScope, join(req.workDir, "diff"));
    for (const change of scoped.inScope) {
      if (!texts.has(change.path)) continue; // equal after all: an empty file created or deleted
      const diff = texts.get(change.path);
      if (diff === undefined) report.binary.push(change.path);
      else diffs.push({ change, diff });
    }
    if (diffs.length === 0)
      throw new UserError(
        `Nothing this configuration builds differs between the target's source and ${newer.label}.`,
        [],
        ExitCode.NO_CHANGE,
      );
    const diffed = new Set(diffs.map((d) => d.change.path));
    const start = report.chosen?.filter((p) => diffed.has(p));
    if (start?.length === 0)
      throw new UserError(`The changed files under --paths ${req.selected?.join(" ")} are binary.`);
    const split = splitChanges(namedChanges(diffs, req.paths.tree, newer.tree), start);
    report.pulledIn = split.pulledIn;
    const title = `update from ${report.from} to ${report.to}`;
    const patches = patchesOf(split, new Map(diffs.map((d) => [d.change.path, d.diff])), title);
    report.split = patches.map((p, i) => ({ fix: p.name, files: split.groups[i] as string[] }));
    const series = writeSeries(req.seriesDir, patches, [
      title,
      "one fix per line; drop or reorder, then: hotpatch build <this file>",
    ]);
    return readFixes([series]);
  });
  return { fixes, report };
}
