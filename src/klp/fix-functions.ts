// SPDX-License-Identifier: GPL-2.0-only
// Which functions a fix touches, read from the fix and the pristine source: the differ uses
// them only to explain a change ("changed by the fix" vs "inlines X"), never to decide one.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { touchedFiles } from "../kernel/fix.ts";
import { hunksOf } from "../kernel/hunks.ts";

/**
 * Old-side line numbers (1-based) each file's hunks change, by tree path: a removed line
 * itself, an added line as the line before it.
 */
export function touchedLines(fixText: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const { path } of touchedFiles(fixText)) {
    const lines: number[] = [];
    let oldLine = 0;
    for (const item of hunksOf(fixText, path)) {
      if ("hunk" in item) {
        // A hunk that only adds (-N,0) inserts after old line N.
        oldLine = item.hunk.oldStart + (item.hunk.oldCount === 0 ? 1 : 0);
        continue;
      }
      if (item.line.startsWith("-")) lines.push(oldLine++);
      else if (item.line.startsWith("+")) lines.push(Math.max(1, oldLine - 1));
      else oldLine++;
    }
    out.set(path, lines);
  }
  return out;
}

/**
 * A definition's first line: the name before the first '(' — after its return type
 * (`static int foo(`) or alone at the start of the line when the type sits on the line above
 * (`xfs_agfl_size(`, the style of xfs and much of fs/).
 */
const FUNCTION_START = /^(?:[A-Za-z_][^;=(]*?\b)?([A-Za-z_][A-Za-z0-9_]*)\s*\(/;

/** The function whose body holds `line` (1-based), by scanning back to its definition. */
export function enclosingFunction(lines: string[], line: number): string | undefined {
  let sawOpen = false;
  for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
    const text = lines[i] ?? "";
    if (text.startsWith("}") && i < line - 1) return undefined;
    if (text.startsWith("{")) sawOpen = true;
    const m = FUNCTION_START.exec(text);
    if (m && (sawOpen || text.trimEnd().endsWith("{")) && !text.trimEnd().endsWith(";")) return m[1];
  }
  return undefined;
}

/** Per touched source file of the tree, the functions the fix's hunks fall into. */
export function fixFunctionsByFile(fixText: string, tree: string): Map<string, string[]> {
  const byFile = new Map<string, string[]>();
  for (const [file, lines] of touchedLines(fixText)) {
    const path = join(tree, file);
    if (!existsSync(path)) continue;
    const source = readFileSync(path, "utf8").split("\n");
    const names = new Set<string>();
    for (const l of lines) {
      const fn = enclosingFunction(source, l);
      if (fn) names.add(fn);
    }
    byFile.set(file, [...names]);
  }
  return byFile;
}

/** Functions the fix's hunks fall into, across every touched source file of the tree. */
export function fixFunctions(fixText: string, tree: string): string[] {
  return [...new Set([...fixFunctionsByFile(fixText, tree).values()].flat())].sort();
}
