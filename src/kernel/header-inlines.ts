// SPDX-License-Identifier: GPL-2.0-only
// A header fix that only changes the bodies of static inline functions affects only the units
// that use those functions, not every unit that includes the header (include/linux/fwnode.h
// reaches ~20,000 files; its fwnode_init() is called by a handful). This narrows a header's
// users to the .c files that name a changed inline, or include another header that does
// (an inline or macro there may call it). A textual scan: an over-approximation, never less
// than the units that can call the function.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { IncludeIndex } from "./includes.ts";

/** Old-side line numbers a fix's hunks change in `file` (tree-relative). */
function touchedLinesOf(fixText: string, file: string): number[] {
  const out: number[] = [];
  let current: string | undefined;
  let oldLine = 0;
  for (const line of fixText.split("\n")) {
    if (line.startsWith("+++ ")) {
      current = (line.slice(4).split("\t")[0]?.trim() ?? "").replace(/^[^/]+\//, "");
      continue;
    }
    const hunk = /^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@/.exec(line);
    if (hunk) {
      oldLine = Number(hunk[1]);
      continue;
    }
    if (current !== file || line.startsWith("--- ")) continue;
    if (line.startsWith("-")) out.push(oldLine++);
    else if (line.startsWith("+")) out.push(Math.max(1, oldLine - 1));
    else if (line.startsWith(" ")) oldLine++;
  }
  return out;
}

/** The static inline function whose body (between its `{` and `}` lines) holds `line`. */
function enclosingInline(lines: string[], line: number): string | undefined {
  let close = -1;
  for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
    const text = lines[i] ?? "";
    if (text.startsWith("}") && i < line - 1) return undefined;
    if (!text.startsWith("{") && !/\)\s*\{\s*$/.test(text)) continue;
    close = i;
    break;
  }
  if (close < 0) return undefined;
  // The definition: up to 4 lines ending at the brace, starting at `static`.
  const head = lines.slice(Math.max(0, close - 4), close + 1).join(" ");
  const m =
    /\bstatic\s+(?:__always_inline|inline)\b[^;{}]*?\b([A-Za-z_][A-Za-z0-9_]*)\s*\([^;{}]*\)\s*\{\s*$/.exec(
      head,
    );
  return m?.[1];
}

/**
 * The static inline functions of `header` whose bodies hold every line the fix changes there,
 * or undefined when any change is elsewhere (a struct, a macro, a declaration).
 */
export function changedHeaderInlines(tree: string, header: string, fixText: string): string[] | undefined {
  const touched = touchedLinesOf(fixText, header);
  if (touched.length === 0) return undefined;
  const lines = readFileSync(join(tree, header), "utf8").split("\n");
  const names = new Set<string>();
  for (const l of touched) {
    const name = enclosingInline(lines, l);
    if (!name) return undefined;
    names.add(name);
  }
  return [...names];
}

/**
 * Of `users` (.c files including `header`), those that may call one of `names`: the files that
 * name them or a static inline of another header that calls them (followed to a fixed point),
 * and every includer of a header that names them outside an inline (a macro: kept whole).
 */
export function usersOfInlines(
  tree: string,
  index: IncludeIndex,
  header: string,
  users: string[],
  names: string[],
): string[] {
  const text = new Map<string, string>();
  const read = (file: string): string => {
    let t = text.get(file);
    if (t === undefined) {
      try {
        t = readFileSync(join(tree, file), "latin1");
      } catch {
        t = "";
      }
      text.set(file, t);
    }
    return t;
  };
  const reverse = new Map<string, string[]>();
  const headers = new Set<string>();
  for (const [file, targets] of Object.entries(index.includes)) {
    if (file.endsWith(".h")) headers.add(file);
    for (const t of targets) {
      if (t.endsWith(".h")) headers.add(t);
      const list = reverse.get(t);
      if (list) list.push(file);
      else reverse.set(t, [file]);
    }
  }
  headers.delete(header);
  // Grow the names with the inlines of other headers that call them; a use outside an inline
  // makes that header's includers users as a whole.
  const all = new Set(names);
  const wholeHeaders = new Set<string>();
  for (let grew = true; grew; ) {
    grew = false;
    const pattern = new RegExp(`\\b(?:${[...all].join("|")})\\b`);
    for (const h of headers) {
      if (wholeHeaders.has(h) || !pattern.test(read(h))) continue;
      const lines = read(h).split("\n");
      lines.forEach((line, i) => {
        if (!pattern.test(line)) return;
        let caller: string | undefined;
        if (/^\s*(?:static|extern)\b|^[A-Za-z_]\w*\s*\(/.test(line)) {
          // A definition or declaration line: only a one-line body after its `{` is a use.
          const brace = line.indexOf("{");
          if (brace < 0 || !pattern.test(line.slice(brace))) return;
          caller = /\b([A-Za-z_]\w*)\s*\([^{]*\{/.exec(line)?.[1];
          if (!/\binline\b/.test(line.slice(0, brace))) caller = undefined;
        } else caller = enclosingInline(lines, i + 1);
        if (!caller) wholeHeaders.add(h);
        else if (!all.has(caller)) {
          all.add(caller);
          grew = true;
        }
      });
    }
  }
  const reached = new Set<string>();
  const queue = [...wholeHeaders];
  while (queue.length > 0) {
    const current = queue.pop() as string;
    for (const includer of reverse.get(current) ?? []) {
      if (reached.has(includer)) continue;
      reached.add(includer);
      queue.push(includer);
    }
  }
  const pattern = new RegExp(`\\b(?:${[...all].join("|")})\\b`);
  return users.filter((u) => reached.has(u) || pattern.test(read(u)));
}
