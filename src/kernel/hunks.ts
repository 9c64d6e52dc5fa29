// SPDX-License-Identifier: GPL-2.0-only
// Reading a fix's hunks for one file: which lines it changes, the file's new text, and the
// fixed text numbered like the old one (withOldLineNumbers), which tells a __LINE__ the fix
// moved from a real change.

/**
 * The tree-relative path a diff's file header names when lines[i] starts one ("--- a/x"
 * followed by "+++ b/x"), else undefined.
 */
function diffFileAt(lines: string[], i: number): string | undefined {
  if (!(lines[i] ?? "").startsWith("--- ") || !(lines[i + 1] ?? "").startsWith("+++ ")) return undefined;
  const name = (lines[i + 1] as string).slice(4).split("\t")[0]?.trim() ?? "";
  return name.slice(name.indexOf("/") + 1);
}

type HunkItem = { hunk: { oldStart: number; oldCount: number; newStart: number } } | { line: string };

/**
 * The hunk headers and body lines a fix has for `path`, in order. A hunk's body is exactly as
 * long as its header says: text after it (a `git format-patch` signature "-- ") is not read
 * as removed lines.
 */
export function* hunksOf(patchText: string, path: string): Generator<HunkItem> {
  let inFile = false;
  let oldLeft = 0;
  let newLeft = 0;
  const lines = patchText.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (oldLeft > 0 || newLeft > 0) {
      if (line.startsWith("\\")) continue; // "\ No newline at end of file"
      if (line.startsWith("-")) oldLeft--;
      else if (line.startsWith("+")) newLeft--;
      else {
        oldLeft--; // context; an empty line is a context line whose blank was stripped
        newLeft--;
      }
      if (inFile) yield { line };
      continue;
    }
    const file = diffFileAt(lines, i);
    if (file !== undefined) {
      inFile = file === path;
      i++;
      continue;
    }
    const hunk = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (!hunk) continue;
    oldLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
    newLeft = hunk[4] === undefined ? 1 : Number(hunk[4]);
    if (inFile) yield { hunk: { oldStart: Number(hunk[1]), oldCount: oldLeft, newStart: Number(hunk[3]) } };
  }
}

/** Line numbers of a file's changed lines, on the old side ('-') and the new side ('+'). */
export function changedLines(patchText: string, path: string): { old: number[]; new: number[] } {
  const result = { old: [] as number[], new: [] as number[] };
  let oldNo = 0;
  let newNo = 0;
  for (const item of hunksOf(patchText, path)) {
    if ("hunk" in item) {
      oldNo = item.hunk.oldStart;
      newNo = item.hunk.newStart;
      continue;
    }
    const line = item.line;
    if (oldNo === 0) continue;
    if (line.startsWith("-")) result.old.push(oldNo++);
    else if (line.startsWith("+")) result.new.push(newNo++);
    else if (line.startsWith(" ") || line === "") {
      oldNo++;
      newNo++;
    }
  }
  return result;
}

/**
 * The new side of `path` from its old text and the fix's hunks for it (they apply exactly:
 * the fix was applied with --fuzz=0 before this runs).
 */
export function applyHunks(original: string, patchText: string, path: string): string {
  return rebuild(original, patchText, path, false);
}

/**
 * The fixed text of `path` with `#line` directives that give every line the fix left unchanged
 * its old line number (added lines continue from the line before them). Compiled, it differs
 * from the pristine build only where the fix changed code: a function whose only difference
 * is a `__LINE__` the fix moved (WARN, might_sleep, a filesystem's error helper taking the line
 * in any argument) comes out identical. A directive is never put after a line ending in a
 * backslash (it would join a macro); the numbering may then lag, which only makes more
 * functions differ, never fewer.
 */
export function withOldLineNumbers(original: string, patchText: string, path: string): string {
  return rebuild(original, patchText, path, true);
}

/** The new side of `path`; with `keepOldNumbers`, renumbered as withOldLineNumbers says. */
function rebuild(original: string, patchText: string, path: string, keepOldNumbers: boolean): string {
  const old = original.split("\n");
  const out: string[] = [];
  let next = 0; // index of the next old line to copy
  let presumed = 1; // the line number the compiler gives the next output line
  const push = (line: string) => {
    out.push(line);
    presumed++;
  };
  const copyOld = () => {
    const wanted = next + 1;
    if (keepOldNumbers && presumed !== wanted && !(out[out.length - 1] ?? "").endsWith("\\")) {
      out.push(`#line ${wanted}`);
      presumed = wanted;
    }
    push(old[next++] as string);
  };
  for (const item of hunksOf(patchText, path)) {
    if ("hunk" in item) {
      const start = item.hunk.oldStart - (item.hunk.oldCount === 0 ? 0 : 1);
      while (next < start) copyOld();
      continue;
    }
    const line = item.line;
    if (line.startsWith("+")) push(line.slice(1));
    else if (line.startsWith("-")) next++;
    else copyOld();
  }
  while (next < old.length) copyOld();
  return out.join("\n");
}
