// SPDX-License-Identifier: GPL-2.0-only
// An update's fixes as patch files: one -p1 unified diff per fix (GNU diff, file by file, in
// path order), named `NNN-<first path>.patch`, and a quilt `series` listing them in order. A
// maintainer can review the directory, drop or reorder lines of the series, and build it with
// `hotpatch build DIR/series`; `hotpatch build --new-source` builds the same files.
import { execa } from "execa";
import { MissingToolError, UserError } from "../errors/user-error.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import type { ChangedFile } from "./tree-diff.ts";

/**
 * The -p1 unified diff of one file between the trees (a/ and b/ labels, /dev/null for a side
 * that does not exist), or undefined when GNU diff finds the files binary.
 */
export async function unifiedDiff(
  oldRoot: string,
  newRoot: string,
  change: ChangedFile,
): Promise<string | undefined> {
  const oldSide = change.status === "created" ? "/dev/null" : `${oldRoot}/${change.path}`;
  const newSide = change.status === "deleted" ? "/dev/null" : `${newRoot}/${change.path}`;
  const labels = [
    "--label",
    change.status === "created" ? "/dev/null" : `a/${change.path}`,
    "--label",
    change.status === "deleted" ? "/dev/null" : `b/${change.path}`,
  ];
  const result = await execa("diff", ["-u", ...labels, oldSide, newSide], {
    reject: false,
    stdin: "ignore",
    stripFinalNewline: false,
    maxBuffer: 256 * 1024 * 1024,
  });
  if ((result as { code?: string }).code === "ENOENT") throw new MissingToolError("diff", "diffutils");
  if (result.exitCode === 0) return ""; // equal after all (an empty file created or deleted)
  if (result.exitCode !== 1)
    throw new UserError(`diff of ${change.path} between the trees failed: ${String(result.stderr).trim()}.`);
  const text = String(result.stdout);
  return text.startsWith("--- ") ? text : undefined;
}

/** `NNN-<first path with / as ->.patch`, numbered from 1 with at least three digits. */
export function patchName(index: number, count: number, firstPath: string): string {
  const width = Math.max(3, String(count).length);
  return `${String(index + 1).padStart(width, "0")}-${firstPath.replaceAll("/", "-")}.patch`;
}

export interface SeriesPatch {
  name: string;
  text: string;
}

/** Writes each patch and then the series (each file whole or not at all); returns the series path. */
export function writeSeries(dir: string, patches: readonly SeriesPatch[], header: string[]): string {
  for (const p of patches) writeFileAtomic(`${dir}/${p.name}`, p.text);
  const series = `${dir}/series`;
  writeFileAtomic(series, [...header.map((h) => `# ${h}`), ...patches.map((p) => p.name), ""].join("\n"));
  return series;
}
