// SPDX-License-Identifier: GPL-2.0-only
// Reading a fix's hunks for one file: which lines it changes, the file's new text, and where
// an unchanged line of the old text lands in the new text (the __LINE__ a call site passes
// moves with it, see lineMover()).

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

/** The hunk headers and body lines a fix has for `path`, in order. */
export function* hunksOf(patchText: string, path: string): Generator<HunkItem> {
  let inFile = false;
  const lines = patchText.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const file = diffFileAt(lines, i);
    if (file !== undefined) {
      inFile = file === path;
      i++;
      continue;
    }
    if (!inFile) continue;
    const hunk = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      const oldCount = hunk[2] === undefined ? 1 : Number(hunk[2]);
      yield { hunk: { oldStart: Number(hunk[1]), oldCount, newStart: Number(hunk[3]) } };
    } else yield { line };
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
  const old = original.split("\n");
  const out: string[] = [];
  let next = 0; // index of the next old line to copy
  for (const item of hunksOf(patchText, path)) {
    if ("hunk" in item) {
      const start = item.hunk.oldStart - (item.hunk.oldCount === 0 ? 0 : 1);
      while (next < start) out.push(old[next++] as string);
      continue;
    }
    const line = item.line;
    if (line.startsWith("+")) out.push(line.slice(1));
    else if (line.startsWith("-")) next++;
    else if (line.startsWith(" ")) out.push(old[next++] as string);
  }
  while (next < old.length) out.push(old[next++] as string);
  return out.join("\n");
}

/**
 * Where each unchanged line of the old side of `path` lands on the new side; undefined for a
 * line the fix removes. Lines outside every hunk move by the line count the hunks above them
 * added or removed.
 */
export function lineMover(patchText: string, path: string): (oldLine: number) => number | undefined {
  const exact = new Map<number, number | undefined>(); // lines inside hunks
  const shifts: Array<{ after: number; delta: number }> = []; // from each hunk's end on
  let oldNo = 0;
  let newNo = 0;
  const closeHunk = () => {
    if (oldNo > 0) shifts.push({ after: oldNo - 1, delta: newNo - oldNo });
  };
  for (const item of hunksOf(patchText, path)) {
    if ("hunk" in item) {
      closeHunk();
      // A hunk that only adds lines (-N,0) inserts after old line N.
      oldNo = item.hunk.oldStart + (item.hunk.oldCount === 0 ? 1 : 0);
      newNo = item.hunk.newStart;
      continue;
    }
    const line = item.line;
    if (oldNo === 0) continue;
    if (line.startsWith("-")) exact.set(oldNo++, undefined);
    else if (line.startsWith("+")) newNo++;
    else if (line.startsWith(" ") || line === "") exact.set(oldNo++, newNo++);
  }
  closeHunk();
  return (oldLine) => {
    if (exact.has(oldLine)) return exact.get(oldLine);
    let delta = 0;
    for (const shift of shifts) if (oldLine > shift.after) delta = shift.delta;
    return oldLine + delta;
  };
}
