// SPDX-License-Identifier: GPL-2.0-only
// The fixes a build takes, in the order they apply: patch files, directories of patches (their
// quilt `series` when they have one, else every *.patch / *.diff by name), and quilt series
// files (one patch name per line, relative to the series file, `#` comments). Each fix keeps
// its file name and the sha256 of its bytes: the module records them (provenance), and the
// runtime refuses a replacement that would drop a loaded fix by name.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { UserError } from "../errors/user-error.ts";
import { type TouchedFile, touchedFiles } from "../kernel/fix.ts";

export interface Fix {
  /** The fix's file name, e.g. `01-af_unix-siocatmark-nonstream.patch` (unique in a build). */
  name: string;
  /** Absolute path of the fix file. */
  path: string;
  text: string;
  /** sha256 of the file's bytes, lowercase hex. */
  sha256: string;
  /** Files the fix changes, in the order of the diff. */
  touched: TouchedFile[];
}

function readFixFile(path: string): Fix {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new UserError(`Cannot read the fix ${path}.`);
  }
  const text = bytes.toString("utf8");
  const touched = touchedFiles(text);
  if (touched.length === 0)
    throw new UserError(`${path} is not a unified diff (no '--- a/... +++ b/...' file headers).`);
  return {
    name: basename(path),
    path,
    text,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    touched,
  };
}

/** The patch names of a quilt series file, resolved beside it. */
function seriesEntries(seriesPath: string): string[] {
  const entries: string[] = [];
  for (const [i, raw] of readFileSync(seriesPath, "utf8").split("\n").entries()) {
    const line = raw.replace(/#.*$/, "").trim();
    if (!line) continue;
    const [name, ...options] = line.split(/\s+/);
    if (options.some((o) => o !== "-p1"))
      throw new UserError(
        `${seriesPath}:${i + 1}: only -p1 patches are supported (found '${options.join(" ")}').`,
      );
    const path = resolve(dirname(seriesPath), name as string);
    if (!existsSync(path)) throw new UserError(`${seriesPath}:${i + 1}: ${name} does not exist.`);
    entries.push(path);
  }
  if (entries.length === 0) throw new UserError(`The series ${seriesPath} names no patch.`);
  return entries;
}

/** A file that is not a diff but lists patches: a series (by name, or by content). */
function isSeriesFile(path: string): boolean {
  if (basename(path) === "series") return true;
  const text = readFileSync(path, "utf8");
  if (touchedFiles(text).length > 0) return false;
  const lines = text
    .split("\n")
    .map((l) => l.replace(/#.*$/, "").trim())
    .filter(Boolean);
  return (
    lines.length > 0 && lines.every((l) => existsSync(resolve(dirname(path), l.split(/\s+/)[0] as string)))
  );
}

function patchesOfDirectory(dir: string): string[] {
  const series = join(dir, "series");
  if (existsSync(series)) return seriesEntries(series);
  const found = readdirSync(dir)
    .filter((n) => /\.(patch|diff)$/.test(n))
    .sort()
    .map((n) => join(dir, n));
  if (found.length === 0) throw new UserError(`The directory ${dir} holds no *.patch or *.diff file.`);
  return found;
}

/** Expands the command line's FIX arguments into the fixes, in order. */
export function readFixes(args: string[]): Fix[] {
  const paths: string[] = [];
  for (const arg of args) {
    const path = resolve(arg);
    if (!existsSync(path)) throw new UserError(`The fix ${arg} does not exist.`);
    if (statSync(path).isDirectory()) paths.push(...patchesOfDirectory(path));
    else if (isSeriesFile(path)) paths.push(...seriesEntries(path));
    else paths.push(path);
  }
  const fixes = paths.map(readFixFile);
  const seen = new Map<string, string>();
  for (const f of fixes) {
    const other = seen.get(f.name);
    if (other)
      throw new UserError(
        `Two fixes are named ${f.name} (${other} and ${f.path}): a module records its fixes by name, so names must differ.`,
      );
    seen.set(f.name, f.path);
  }
  return fixes;
}
