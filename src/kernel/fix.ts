// SPDX-License-Identifier: GPL-2.0-only
// Applying a fix (a unified diff, -p1) to a scratch view of a prepared kernel tree without
// copying or touching the tree: the view mirrors the tree with symlinks, and only the
// directories along the touched paths are real directories (holding real copies of the
// touched files). kbuild's gcc command runs from the view's root with the same relative
// paths, so __FILE__ and every include path stay exactly as in the tree.
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { dirname, join, normalize, sep } from "node:path";
import { UserError } from "../errors/user-error.ts";
import { run } from "../util/run.ts";

export interface TouchedFile {
  /** Path relative to the tree root (after stripping one leading component, like -p1). */
  path: string;
  /** The fix creates it (old side /dev/null). */
  created: boolean;
  /** The fix deletes it (new side /dev/null). */
  deleted: boolean;
  /** How many file sections of the fix change it (more than one in a concatenated series). */
  sections: number;
}

function stripOne(raw: string): string | null {
  const name = raw.split("\t")[0]?.trim() ?? "";
  if (name === "/dev/null") return null;
  const slash = name.indexOf("/");
  const stripped = slash >= 0 ? name.slice(slash + 1) : name;
  const clean = normalize(stripped);
  if (clean.startsWith("..") || clean.startsWith(sep) || clean === ".") {
    throw new UserError(`The fix names a file outside the tree: '${name}'.`);
  }
  return clean;
}

/** The files a unified diff changes, in order, without duplicates. */
export function touchedFiles(patchText: string): TouchedFile[] {
  const found = new Map<string, TouchedFile>();
  const lines = patchText.split("\n");
  for (let i = 0; i + 1 < lines.length; i++) {
    const minus = lines[i] as string;
    const plus = lines[i + 1] as string;
    if (!minus.startsWith("--- ") || !plus.startsWith("+++ ")) continue;
    // A "--- " line inside a hunk is a removed line starting with "-- "; a real header is
    // followed by "+++ " and then "@@", which is what we check.
    if (!(lines[i + 2] ?? "").startsWith("@@")) continue;
    const oldPath = stripOne(minus.slice(4));
    const newPath = stripOne(plus.slice(4));
    const path = newPath ?? oldPath;
    if (!path) continue;
    const previous = found.get(path);
    found.set(path, {
      path,
      created: (previous?.created ?? false) || oldPath === null,
      deleted: newPath === null,
      sections: (previous?.sections ?? 0) + 1,
    });
    i++;
  }
  return [...found.values()];
}

/**
 * Makes `viewDir` mirror `tree`: every directory on the way to a touched file is real and
 * holds symlinks to the tree's other entries; touched files are real copies.
 */
export function createScratchView(tree: string, viewDir: string, files: readonly string[]): void {
  mkdirSync(viewDir, { recursive: true });
  const realDirs = new Set<string>([""]);
  for (const file of files) {
    let dir = dirname(file);
    while (dir !== "." && dir !== "") {
      realDirs.add(dir);
      dir = dirname(dir);
    }
  }
  const touched = new Set(files);
  // Parents before children: sorted by depth.
  const ordered = [...realDirs].sort((a, b) => depth(a) - depth(b));
  for (const rel of ordered) {
    const from = rel === "" ? tree : join(tree, rel);
    const to = rel === "" ? viewDir : join(viewDir, rel);
    mkdirSync(to, { recursive: true });
    if (!existsSync(from)) continue; // a directory the fix creates
    for (const entry of readdirSync(from)) {
      const relEntry = rel === "" ? entry : `${rel}/${entry}`;
      const target = join(to, entry);
      if (realDirs.has(relEntry) || existsSync(target)) continue;
      if (touched.has(relEntry)) {
        if (lstatSync(join(from, entry)).isFile()) copyFileSync(join(from, entry), target);
        continue;
      }
      symlinkSync(join(from, entry), target);
    }
  }
}

/**
 * Adds to the view's real directories the links for tree entries that appeared after the view
 * was made: the pristine `make` generates headers beside the sources (crypto/ecrdsa_params.asn1.h
 * from its .asn1 grammar, firmware and table headers), and the fixed compile in the view needs
 * them. The tree is found through the view's link to its top-level Makefile.
 */
export function refreshScratchView(viewDir: string): void {
  const makefile = join(viewDir, "Makefile");
  if (!existsSync(makefile) || !lstatSync(makefile).isSymbolicLink()) return;
  const tree = dirname(readlinkSync(makefile));
  const walk = (rel: string) => {
    const from = rel === "" ? tree : join(tree, rel);
    const to = rel === "" ? viewDir : join(viewDir, rel);
    if (!existsSync(from)) return;
    for (const entry of readdirSync(to, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(rel === "" ? entry.name : `${rel}/${entry.name}`);
    }
    for (const entry of readdirSync(from)) {
      const target = join(to, entry);
      if (!isPresent(target)) symlinkSync(join(from, entry), target);
    }
  };
  walk("");
}

/**
 * Makes `rel` and its parents real directories of the view (each holding links to the tree's
 * entries), where they were links to the tree's directories. Needed where a compile reaches a
 * file through `..` (`#include "../internal.h"` from fs/iomap/): the kernel resolves `..` of a
 * linked directory inside the tree, so the pristine file would be read instead of the fixed one.
 */
export function realizeDirectory(viewDir: string, rel: string): void {
  const makefile = join(viewDir, "Makefile");
  if (!isPresent(makefile) || !lstatSync(makefile).isSymbolicLink()) return;
  const tree = dirname(readlinkSync(makefile));
  let current = "";
  for (const part of rel.split("/").filter(Boolean)) {
    current = current ? `${current}/${part}` : part;
    const here = join(viewDir, current);
    if (!isPresent(here) || !lstatSync(here).isSymbolicLink()) continue;
    const target = readlinkSync(here);
    if (target !== join(tree, current)) continue; // not a link into the tree: leave it
    rmSync(here);
    mkdirSync(here);
    for (const entry of readdirSync(target)) symlinkSync(join(target, entry), join(here, entry));
  }
}

/** Realizes the directories a compile climbs out of with `..` (raw dependency paths). */
export function realizeParentReferences(viewDir: string, parentRelativeReads: string[]): void {
  for (const raw of parentRelativeReads) {
    const parts = raw.split("/");
    const up = parts.indexOf("..");
    if (up > 0) realizeDirectory(viewDir, parts.slice(0, up).join("/"));
  }
}

/** Exists as an entry (a dangling link counts: existsSync would follow it). */
function isPresent(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function depth(rel: string): number {
  return rel === "" ? 0 : rel.split("/").length;
}

/** Parses GNU patch's output into one sentence naming the file and the failing hunk. */
export function describePatchFailure(output: string): string {
  let current = "";
  for (const line of output.split("\n")) {
    const file = /^(?:checking|patching) file '?([^']+?)'?$/.exec(line.trim());
    if (file) current = file[1] as string;
    const hunk = /^Hunk #(\d+) FAILED at (\d+)/.exec(line.trim());
    if (hunk) return `hunk #${hunk[1]} of ${current} does not apply (expected at line ${hunk[2]})`;
    const missing = /can't find file to patch|No such file or directory/.exec(line);
    if (missing) return `a file it patches does not exist in the target's source (${current || line.trim()})`;
    if (/Reversed \(or previously applied\) patch detected/.test(line)) {
      return `${current} already contains this change (reversed or previously applied patch)`;
    }
  }
  const last = output.trim().split("\n").pop() ?? "";
  return `patch failed: ${last}`;
}

/** Applies the fix in `viewDir` with `patch -p1 --fuzz=0`; a failure is a UserError naming the hunk. */
export async function applyFix(viewDir: string, fixPath: string, logFile?: string): Promise<void> {
  const args = [
    "-p1",
    "--fuzz=0",
    "--batch",
    "--forward",
    "--no-backup-if-mismatch",
    "-r",
    "-",
    "-d",
    viewDir,
    "-i",
    fixPath,
  ];
  try {
    await run("patch", ["--dry-run", ...args], { logFile, what: "patch --dry-run" });
  } catch (error) {
    if (!(error instanceof UserError) || error.message.includes("not installed")) throw error;
    const output = error.details.join("\n");
    throw new UserError(
      `The fix ${fixPath} does not apply to the target's source: ${describePatchFailure(output)}.`,
      error.details,
    );
  }
  await run("patch", args, { logFile, what: `applying ${fixPath}` });
}

/** Reads a fix and returns its touched files; an empty or unreadable diff is a UserError. */
export function readFix(fixPath: string): TouchedFile[] {
  let text: string;
  try {
    text = readFileSync(fixPath, "utf8");
  } catch {
    throw new UserError(`Cannot read the fix ${fixPath}.`);
  }
  const files = touchedFiles(text);
  if (files.length === 0)
    throw new UserError(`${fixPath} is not a unified diff (no '--- a/... +++ b/...' file headers).`);
  return files;
}
