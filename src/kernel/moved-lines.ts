// SPDX-License-Identifier: GPL-2.0-only
// Which line numbers a fix moves: the differ's source of truth for "only a __LINE__ argument
// changed" beyond its short list of well-known callees (WARN, might_sleep, ext4's helpers).
// Filesystems pass __LINE__ to their own error helpers in any argument register (xfs's
// xfs_corruption_error in %r8d, gfs2's assertions, ...); a fix that adds lines above such a
// call changes the immediate in every function below it without changing what they do.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { touchedFiles } from "./fix.ts";
import { lineMover } from "./hunks.ts";

/** Whether `origLine` is a line the fix left unchanged and moved to `patchedLine`. */
export type MovedLine = (origLine: number, patchedLine: number) => boolean;

/**
 * A source line that can be a __LINE__: it names __LINE__ itself, or invokes a macro or
 * function (GCC gives a macro's __LINE__ the line of the macro's name). Blank lines, braces,
 * #include lines and comments cannot, which keeps a changed constant that happens to equal a
 * moved line number from passing for one.
 */
function canBeLineOfCall(text: string): boolean {
  const code = text.replace(/\/\/.*$/, "").replace(/\/\*.*?\*\//g, "");
  if (/^\s*#/.test(code) || /^\s*\*/.test(text)) return false;
  return /__LINE__/.test(code) || /\b[A-Za-z_]\w*\s*\(/.test(code);
}

/**
 * Whether the fix changes a compile-time constant (a #define, an enum): then a changed
 * immediate in code the fix does not touch may be that constant, and a coincidence with a
 * moved line number must not explain it away.
 */
export function changesConstants(fixText: string): boolean {
  return fixText
    .split("\n")
    .filter((line) => /^[-+]/.test(line) && !/^(\+\+\+|---) /.test(line))
    .some(
      (line) =>
        /^[-+]\s*#\s*(define|undef)\b/.test(line) ||
        /\benum\b/.test(line) ||
        /^[-+]\s*[A-Z][A-Z0-9_]*\s*=[^=]/.test(line), // an enumerator with its value
    );
}

/**
 * The lines the fix at `fixText` moves in the pristine `tree`: for each touched C file or
 * header, an unchanged old line that looks like a call site, and where it lands. None when the
 * fix changes a constant (changesConstants).
 */
export function movedLinesOf(fixText: string, tree: string): MovedLine {
  if (changesConstants(fixText)) return () => false;
  const files = touchedFiles(fixText)
    .filter((f) => !f.created && !f.deleted && /\.[ch]$/.test(f.path) && existsSync(join(tree, f.path)))
    .map((f) => ({
      lines: readFileSync(join(tree, f.path), "utf8").split("\n"),
      move: lineMover(fixText, f.path),
    }));
  return (origLine, patchedLine) =>
    origLine !== patchedLine &&
    files.some((f) => f.move(origLine) === patchedLine && canBeLineOfCall(f.lines[origLine - 1] ?? ""));
}
