// SPDX-License-Identifier: GPL-2.0-only
// Two source trees into a series of fixes: the files that differ (tree-diff.ts), those that
// matter to the running kernel (scope.ts) and, with --paths, those chosen; one unified diff per
// file (series.ts), the names each change defines and uses (names.ts), the split into fixes of
// files that belong together (split.ts); the patches and a quilt series written out and read
// back as the build's fixes (src/build/fixes.ts), exactly as `hotpatch build DIR/series` reads
// them.
import { existsSync, readFileSync } from "node:fs";
import { join, normalize } from "node:path";
import { type Fix, readFixes } from "../build/fixes.ts";
import { ExitCode, UserError } from "../errors/user-error.ts";
import { changedLines } from "../kernel/hunks.ts";
import { changeNames } from "./names.ts";
import { type ConfigLookup, type ScopedChanges, scopeChanges } from "./scope.ts";
import { patchName, type SeriesPatch, unifiedDiffs, writeSeries } from "./series.ts";
import { type PulledIn, type Split, splitChanges } from "./split.ts";
import { type ChangedFile, compareTrees } from "./tree-diff.ts";

export interface TreesRequest {
  oldTree: string;
  /** The old tree's source files (tree-relative). */
  oldFiles: readonly string[];
  newTree: string;
  newFiles: readonly string[];
  /** What the target's configuration builds. */
  lookup: ConfigLookup;
  /** `--paths`: files or directories (tree-relative) where the split starts. */
  selected?: string[];
  /** What the newer tree is, for sentences and the patches' headers. */
  label: string;
  /** The patches' header line, e.g. "update from linux-source-6.1 6.1.176-1 to ...". */
  title: string;
  seriesDir: string;
  /** Scratch space for the diff's link views. */
  workDir: string;
}

export interface TreesSplit {
  changes: ChangedFile[];
  scoped: ScopedChanges;
  /** Changed files GNU diff finds binary (left out). */
  binary: string[];
  /** With --paths: the changed files chosen that this configuration builds. */
  chosen?: string[];
  pulledIn: PulledIn[];
  /** Each fix's patch name and files, in series order. */
  split: Array<{ fix: string; files: string[] }>;
  series: string;
  fixes: Fix[];
}

/** The changed files under the --paths given (each a file or a directory of either tree). */
function chosenFiles(selected: string[], changes: ChangedFile[], trees: string[]): Set<string> {
  const chosen = new Set<string>();
  for (const raw of selected) {
    const p = normalize(raw).replace(/\/+$/, "");
    if (p === "." || p === "") {
      for (const c of changes) chosen.add(c.path); // the whole tree
      continue;
    }
    if (p === ".." || p.startsWith("../") || p.startsWith("/"))
      throw new UserError(`--paths ${raw} is not a path inside the kernel tree.`);
    if (!trees.some((t) => existsSync(join(t, p))))
      throw new UserError(`--paths ${raw} names no file or directory of either tree.`);
    for (const c of changes) if (c.path === p || c.path.startsWith(`${p}/`)) chosen.add(c.path);
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

/** The files that differ, in scope, and under --paths; their diffs, split and written out. */
export async function splitTrees(req: TreesRequest): Promise<TreesSplit> {
  const changes = compareTrees(req.oldTree, req.oldFiles, req.newTree, req.newFiles);
  const scoped = scopeChanges(changes, req.lookup);
  let chosen: string[] | undefined;
  if (req.selected) {
    const under = chosenFiles(req.selected, changes, [req.oldTree, req.newTree]);
    const paths = req.selected.join(" ");
    if (under.size === 0)
      throw new UserError(
        `No file under --paths ${paths} differs between the target's source and ${req.label}.`,
        [],
        ExitCode.NO_CHANGE,
      );
    chosen = scoped.inScope.map((c) => c.path).filter((p) => under.has(p));
    if (chosen.length === 0)
      throw new UserError(
        `None of the changed files under --paths ${paths} is built in this configuration.`,
        [],
        ExitCode.NO_CHANGE,
      );
  }
  const texts = await unifiedDiffs(req.oldTree, req.newTree, scoped.inScope, join(req.workDir, "diff"));
  const diffs: FileDiff[] = [];
  const binary: string[] = [];
  for (const change of scoped.inScope) {
    if (!texts.has(change.path)) continue; // equal after all: an empty file created or deleted
    const diff = texts.get(change.path);
    if (diff === undefined) binary.push(change.path);
    else diffs.push({ change, diff });
  }
  const diffed = new Set(diffs.map((d) => d.change.path));
  const start = chosen?.filter((p) => diffed.has(p));
  if (diffs.length === 0 || start?.length === 0)
    throw new UserError(
      `Nothing this configuration builds${chosen ? " under --paths" : ""} differs in text between the target's source and ${req.label}.`,
      [],
      ExitCode.NO_CHANGE,
    );
  const split = splitChanges(namedChanges(diffs, req.oldTree, req.newTree), start);
  const patches = patchesOf(split, new Map(diffs.map((d) => [d.change.path, d.diff])), req.title);
  const series = writeSeries(req.seriesDir, patches, [
    req.title,
    "one fix per line; drop or reorder, then: hotpatch build <this file>",
  ]);
  return {
    changes,
    scoped,
    binary,
    chosen,
    pulledIn: split.pulledIn,
    split: patches.map((p, i) => ({ fix: p.name, files: split.groups[i] as string[] })),
    series,
    fixes: readFixes([series]),
  };
}
