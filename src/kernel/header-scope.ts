// SPDX-License-Identifier: GPL-2.0-only
// What a fix changes in a header, read from the source around its hunks, so that a header fix
// does not mean "rebuild every unit that includes the header":
// - changes inside static inline functions and macros reach only the units whose source (or
//   whose included headers) name those functions or macros — neighbour.h is included by about
//   3,000 files, its neigh_hh_bridge() is called from one;
// - changes inside a struct or union body change the layout of data the running kernel has
//   already allocated: refused before anything is compiled;
// - prototypes, blank lines and comments change no code;
// - anything else (global declarations, initialised data, typedefs) keeps every includer.
// usersOfCodeNames() then narrows a header's includers to the files that can reach those names
// (include/linux/fwnode.h reaches ~20,000 files; its fwnode_init() is called by a handful).
// A deliberately small scanner: top-level braces, #define lines with continuations, comments
// and string literals. It errs towards "other" (no narrowing) when unsure.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { touchedFiles } from "./fix.ts";
import { applyHunks, changedLines } from "./hunks.ts";
import type { IncludeIndex } from "./includes.ts";

export type HeaderChange =
  | { kind: "code"; names: string[] }
  | { kind: "layout"; type: string }
  | { kind: "other"; line: number };

interface Construct {
  kind: "function" | "type" | "macro" | "declaration" | "other";
  name: string;
  first: number;
  last: number;
}

/** Blanks comments and the insides of string/char literals, keeping line breaks. */
function stripComments(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    const next = text[i + 1];
    if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (c === "/" && next === "/") {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? text.length : end;
      out += " ".repeat(stop - i);
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      out += c + " ".repeat(Math.max(0, j - i - 1)) + (text[j] === c ? c : "");
      i = text[j] === c ? j + 1 : j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const KEYWORDS = new Set(["if", "for", "while", "switch", "return", "sizeof", "typeof", "__attribute__"]);

/** The name a top-level construct's header (the text before its `{` or `;`) defines. */
function classifyHead(head: string, braced: boolean): { kind: Construct["kind"]; name: string } {
  const flat = head.replace(/\s+/g, " ").trim();
  // An enum holds no data (its new constants reach code, which the object diff sees).
  if (braced && /\benum\b[^=]*$/.test(flat)) return { kind: "other", name: "" };
  const type = /\b(struct|union)\s+([A-Za-z_]\w*)\s*$/.exec(flat);
  if (braced && type) return { kind: "type", name: `${type[1]} ${type[2]}` };
  if (braced && /\b(struct|union)\s*$/.test(flat)) return { kind: "type", name: "(anonymous)" };
  if (flat.includes("=")) return { kind: "other", name: "" };
  const call = /([A-Za-z_]\w*)\s*\(/.exec(flat.replace(/__attribute__\s*\(\(.*?\)\)/g, ""));
  if (call && !KEYWORDS.has(call[1] as string) && /\)\s*(__\w+(\(.*\))?\s*)*$/.test(flat)) {
    return { kind: braced ? "function" : "declaration", name: call[1] as string };
  }
  return { kind: "other", name: "" };
}

/** The header's top-level constructs with their line spans (1-based, inclusive). */
export function scanConstructs(text: string): Construct[] {
  const lines = stripComments(text).split("\n");
  const found: Construct[] = [];
  let depth = 0;
  let head = "";
  let headFirst = 0;
  let open: { kind: Construct["kind"]; name: string; first: number } | undefined;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] as string;
    const lineNo = n + 1;
    if (depth === 0 && /^\s*#/.test(line)) {
      let last = n;
      while ((lines[last] as string).trimEnd().endsWith("\\") && last + 1 < lines.length) last++;
      const define = /^\s*#\s*define\s+([A-Za-z_]\w*)/.exec(line);
      found.push({
        kind: define ? "macro" : "other",
        name: define ? (define[1] as string) : "",
        first: lineNo,
        last: last + 1,
      });
      n = last;
      continue;
    }
    for (const c of line) {
      if (depth === 0) {
        if (c === "{") {
          open = { ...classifyHead(head, true), first: headFirst || lineNo };
          depth = 1;
          head = "";
        } else if (c === ";") {
          if (head.trim())
            found.push({ ...classifyHead(head, false), first: headFirst || lineNo, last: lineNo });
          head = "";
          headFirst = 0;
        } else {
          if (!headFirst && c.trim()) headFirst = lineNo;
          head += c;
        }
      } else if (c === "{") {
        depth++;
      } else if (c === "}") {
        depth--;
        if (depth === 0 && open) {
          // `struct x { ... } name;` ends at the `;`; a function at its `}`.
          found.push({ ...open, last: lineNo });
          open = undefined;
          headFirst = 0;
          head = "";
        }
      }
    }
    if (depth === 0) head += "\n";
  }
  return found;
}

function constructAt(constructs: Construct[], line: number): Construct | undefined {
  return constructs.find((c) => c.first <= line && line <= c.last);
}

/** Each struct/union of `text` by name, its body flattened to one line (then respelled). */
function typeBodies(text: string, respell: (body: string) => string = (body) => body): Map<string, string> {
  const lines = stripComments(text).split("\n");
  const bodies = new Map<string, string>();
  for (const c of scanConstructs(text)) {
    if (c.kind !== "type") continue;
    bodies.set(
      c.name,
      respell(
        lines
          .slice(c.first - 1, c.last)
          .join(" ")
          .replace(/\s+/g, " "),
      ),
    );
  }
  return bodies;
}

/**
 * What the changed lines of a header touch: the code names (inline functions, macros, and
 * the header's own functions and macros that use them), a struct/union layout, or something
 * that keeps every includer.
 */
export function classifyHeaderChange(
  original: string,
  patched: string,
  lines: { old: number[]; new: number[] },
): HeaderChange {
  const names = new Set<string>();
  const sides: Array<[string, number[]]> = [
    [original, lines.old],
    [patched, lines.new],
  ];
  const [oldTypes, newTypes] = [typeBodies(original), typeBodies(patched)];
  for (const [text, changed] of sides) {
    const constructs = scanConstructs(text);
    const stripped = stripComments(text).split("\n");
    for (const line of changed) {
      if (!(stripped[line - 1] ?? "").trim()) continue; // blank or comment only
      const c = constructAt(constructs, line);
      if (!c) return { kind: "other", line };
      // Same tokens on both sides (a comment or whitespace changed): no layout change.
      if (c.kind === "type" && oldTypes.get(c.name) === newTypes.get(c.name)) continue;
      if (c.kind === "type") return { kind: "layout", type: c.name };
      if (c.kind === "declaration") continue;
      if (c.kind === "other") return { kind: "other", line };
      names.add(c.name);
    }
  }
  // The header's own inline functions and macros that use a changed name change too.
  const own = scanConstructs(patched).filter((c) => c.kind === "function" || c.kind === "macro");
  const body = stripComments(patched).split("\n");
  let grew = true;
  while (grew) {
    grew = false;
    for (const c of own) {
      if (names.has(c.name)) continue;
      const text = body.slice(c.first - 1, c.last).join("\n");
      if ([...names].some((n) => mentions(text, n))) {
        names.add(c.name);
        grew = true;
      }
    }
  }
  return { kind: "code", names: [...names].sort() };
}

/** Whether C text names `name` as a whole word. */
export function mentions(text: string, name: string): boolean {
  let at = text.indexOf(name);
  while (at >= 0) {
    const before = text[at - 1] ?? " ";
    const after = text[at + name.length] ?? " ";
    if (!/\w/.test(before) && !/\w/.test(after)) return true;
    at = text.indexOf(name, at + 1);
  }
  return false;
}

/**
 * One spelling for C types that have the same layout, so that respelling a field ("unsigned" to
 * "unsigned int", "__u32" to "u32", adding a sparse annotation such as __rcu) is not taken for
 * a layout change.
 */
function canonicalSpelling(body: string): string {
  return body
    .replace(/\b(?:__rcu|__user|__iomem|__percpu|__force|__kernel|__data_racy)\b/g, " ")
    .replace(/\bunsigned(?!\s*(?:int|char|short|long)\b)/g, "unsigned int")
    .replace(/\b(short|long)\s+int\b/g, "$1")
    .replace(/\b__([us](?:8|16|32|64))\b/g, "$1")
    .replace(/\buint(8|16|32|64)_t\b/g, "u$1")
    .replace(/\bint(8|16|32|64)_t\b/g, "s$1")
    .replace(/\s+/g, " ");
}

/**
 * The struct or union whose layout a fix changes in a header or C file ("struct
 * nf_queue_entry"), or undefined: the running kernel's instances of it are already allocated
 * and in use. Changed lines elsewhere (functions, data, macros) do not matter here.
 */
export function headerLayoutChange(original: string, patchText: string, path: string): string | undefined {
  const patched = applyHunks(original, patchText, path);
  const lines = changedLines(patchText, path);
  const bodies = (text: string) => ({
    constructs: scanConstructs(text),
    byName: typeBodies(text, canonicalSpelling),
  });
  const [before, after] = [bodies(original), bodies(patched)];
  const sides: Array<[typeof before, number[]]> = [
    [before, lines.old],
    [after, lines.new],
  ];
  for (const [side, changed] of sides) {
    for (const line of changed) {
      const c = constructAt(side.constructs, line);
      if (c?.kind !== "type" || c.name === "(anonymous)") continue;
      const [was, now] = [before.byName.get(c.name), after.byName.get(c.name)];
      // A type the fix adds or removes has no instances in the running kernel to mismatch.
      if (was !== undefined && now !== undefined && was !== now) return c.name;
    }
  }
  return undefined;
}

/** The headers and C files of a fix (read from `tree`) that change a struct or union layout. */
export function headerLayoutChanges(tree: string, fixText: string): Array<{ file: string; type: string }> {
  const found: Array<{ file: string; type: string }> = [];
  for (const file of touchedFiles(fixText)) {
    if (!/\.[ch]$/.test(file.path) || file.created || file.deleted) continue;
    const path = join(tree, file.path);
    if (!existsSync(path)) continue;
    const type = headerLayoutChange(readFileSync(path, "latin1"), fixText, file.path);
    if (type) found.push({ file: file.path, type });
  }
  return found;
}

/**
 * The code names (inline functions, macros) a header fix changes or adds, when that is all it
 * changes (besides prototypes and comments), or undefined. An empty list: no existing code
 * can see the change (a new prototype, a new inline nothing in the tree calls yet).
 */
export function headerCodeNames(tree: string, header: string, fixText: string): string[] | undefined {
  const path = join(tree, header);
  if (!existsSync(path)) return undefined;
  const original = readFileSync(path, "latin1");
  const change = classifyHeaderChange(
    original,
    applyHunks(original, fixText, header),
    changedLines(fixText, header),
  );
  return change.kind === "code" ? change.names : undefined;
}

/**
 * Of `users` (.c files including `header`), those that may use one of `names` (from
 * headerCodeNames): the files that name them, or name a static inline of another header that
 * uses them (followed to a fixed point); a use there outside an inline function or a
 * prototype (a macro, an initialiser) keeps every file including that header. A textual
 * scan: an over-approximation, never fewer than the units that can reach the change.
 */
export function usersOfCodeNames(
  tree: string,
  index: IncludeIndex,
  header: string,
  users: string[],
  names: string[],
): string[] {
  const read = cachedReader(tree);
  const { headers, includers } = includeGraph(index);
  headers.delete(header); // its own inlines and macros: already grown by classifyHeaderChange
  const all = new Set(names);
  const wholeHeaders = new Set<string>();
  for (let grew = true; grew; ) {
    grew = false;
    const pattern = wordPattern(all);
    for (const h of headers) {
      if (wholeHeaders.has(h) || !pattern.test(read(h))) continue;
      const use = usesIn(read(h), all);
      if (use === "whole") wholeHeaders.add(h);
      for (const name of use === "whole" ? [] : use) {
        if (all.has(name)) continue;
        all.add(name);
        grew = true;
      }
    }
  }
  const reached = includersOf(wholeHeaders, includers);
  const pattern = wordPattern(all);
  return users.filter((u) => reached.has(u) || pattern.test(read(u)));
}

/**
 * The inline functions of a header's `text` that use one of `names`, or "whole" when one is
 * used elsewhere than in an inline body or a prototype (a macro, a type, an initialiser).
 */
function usesIn(text: string, names: Set<string>): string[] | "whole" {
  const lines = stripComments(text).split("\n");
  const pattern = wordPattern(names);
  const used = lines.flatMap((line, i) => (pattern.test(line) ? [i + 1] : []));
  const constructs = scanConstructs(text);
  const callers: string[] = [];
  for (const line of used) {
    const c = constructAt(constructs, line);
    if (c?.kind === "declaration") continue;
    if (c?.kind !== "function") return "whole";
    callers.push(c.name);
  }
  return callers;
}

function wordPattern(names: Set<string>): RegExp {
  return new RegExp(`\\b(?:${[...names].join("|")})\\b`);
}

/** Reads tree files once each; a missing one reads as empty. */
function cachedReader(tree: string): (file: string) => string {
  const text = new Map<string, string>();
  return (file) => {
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
}

/** Every header the index knows, and for each included file the files that include it. */
function includeGraph(index: IncludeIndex): { headers: Set<string>; includers: Map<string, string[]> } {
  const includers = new Map<string, string[]>();
  const headers = new Set<string>();
  for (const [file, targets] of Object.entries(index.includes)) {
    if (file.endsWith(".h")) headers.add(file);
    for (const t of targets) {
      if (t.endsWith(".h")) headers.add(t);
      const list = includers.get(t);
      if (list) list.push(file);
      else includers.set(t, [file]);
    }
  }
  return { headers, includers };
}

/** The files that include any of `roots`, directly or through other headers. */
function includersOf(roots: Iterable<string>, includers: Map<string, string[]>): Set<string> {
  const reached = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const current = queue.pop() as string;
    for (const includer of includers.get(current) ?? []) {
      if (reached.has(includer)) continue;
      reached.add(includer);
      queue.push(includer);
    }
  }
  return reached;
}
