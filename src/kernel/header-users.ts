// SPDX-License-Identifier: GPL-2.0-only
// Of the source files that include a changed header, those that can reach what changed: the
// files that use one of the changed names, or a name of another header that uses one (an
// inline function calling it, a macro expanding to it, a struct embedding it, a variable of
// its type), followed to a fixed point. It errs towards more files: the preprocessor then
// drops every unit whose text did not change (preprocess.ts), and only the compiled objects
// decide what is patched or refused.
//
// Names that macros paste together (`PFA_##name`, `__PASTE(PG_, x)`) appear nowhere as a word:
// a macro that can paste a changed name counts as using it.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Construct, ENDS_AS_PROTOTYPE, scanConstructs, stripComments, wordPattern } from "./c-scan.ts";
import { directIncluders, type IncludeIndex } from "./includes.ts";

/** A changed name and whether it names a function (only calls and address-takes use those). */
export interface ChangedName {
  name: string;
  isFunction: boolean;
}

/**
 * Whether `text` (comments stripped) uses `name`: any whole-word mention, except that a
 * function is used only where it is called (`name(`), its address taken (`&name`) or stored
 * (`= name`, `.op = name,`) — a plain token in a list (`FN(name)` in a uapi helper table) is
 * not a use of an inline of that name.
 */
export function usesName(text: string, name: ChangedName): boolean {
  const pattern = wordPattern([name.name], "g");
  for (const m of text.matchAll(pattern)) {
    if (!name.isFunction) return true;
    const before = text.slice(Math.max(0, m.index - 3), m.index).trimEnd();
    const after = text.slice(m.index + name.name.length).trimStart();
    if (after.startsWith("(") || after.startsWith("##") || before.endsWith("&") || before.endsWith("##"))
      return true;
    if (/[=]$/.test(before) && /^[,;}]/.test(after)) return true;
  }
  return false;
}

/** Generic paste helpers of the kernel: `__PASTE(a, b)` and friends. */
const PASTE_CALL = /\b(?:__PASTE|___PASTE|CONCATENATE|__CONCAT|__cat|___cat)\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)/g;
/** `FRAG ## x` or `x ## FRAG` inside a macro body. */
const PASTE_OP = /(\w+)\s*##\s*(\w+)/g;

/** Whether a text can hold a paste at all: a cheap test before the two scans below. */
const MAY_PASTE = /##|PASTE|CONCAT|__cat/;

/** The two sides of every paste in a text: `a ## b` and `__PASTE(a, b)`. */
export function pasteFragments(text: string): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  if (!MAY_PASTE.test(text)) return found;
  for (const m of text.matchAll(PASTE_OP)) found.push([m[1] as string, m[2] as string]);
  for (const m of text.matchAll(PASTE_CALL)) found.push([m[1] as string, m[2] as string]);
  return found;
}

/** Whether one of these pastes can produce `name`. */
function pastesName(fragments: Array<[string, string]>, name: string): boolean {
  return fragments.some(([left, right]) => pastes(left, right, name));
}

/** Whether a macro body (or any text) can paste `name` together from a literal fragment. */
export function canPaste(text: string, name: string): boolean {
  return pastesName(pasteFragments(text), name);
}

/** A paste of `left` and `right` (one of them a macro parameter) can produce `name`. */
function pastes(left: string, right: string, name: string): boolean {
  return (
    (left.length >= 2 && name.startsWith(left) && name.length > left.length) ||
    (right.length >= 2 && name.endsWith(right) && name.length > right.length)
  );
}

/** Identifiers a declaration brings into scope that users name: a variable, not a prototype. */
function declaredVariables(text: string): string[] {
  const flat = text.replace(/\s+/g, " ").trim().replace(/;$/, "");
  if (ENDS_AS_PROTOTYPE.test(flat) && !/^\w+\s*\(/.test(flat)) return []; // a prototype
  // `extern struct foo bar[N]`, `DECLARE_PER_CPU(struct foo, bar)`: the last identifier.
  const last = /([A-Za-z_]\w*)\s*(\[[^\]]*\]\s*)*\)?\s*$/.exec(flat);
  return last ? [last[1] as string] : [];
}

/** The name a prototype declares when its return type (before the name) uses one of `names`. */
function prototypeReturning(text: string, names: ChangedName[]): string | undefined {
  const flat = text.replace(/\s+/g, " ");
  const call = /([A-Za-z_]\w*)\s*\(/.exec(flat);
  if (!call) return undefined;
  const returnType = flat.slice(0, call.index);
  return names.some((n) => !n.isFunction && wordPattern([n.name]).test(returnType)) ? call[1] : undefined;
}

/**
 * What one use of changed names inside `c` adds: its names, nothing, or the whole file. A
 * macro invocation at top level defines names no text shows: fine when the preprocessor probe
 * compared this header's expansions (`expanded`), else the whole file.
 */
function useInConstruct(
  c: Construct | undefined,
  span: string,
  hit: ChangedName[],
  expanded: boolean,
): ChangedName[] | "whole" {
  if (!c) return "whole";
  switch (c.kind) {
    case "invocation":
      return expanded ? [] : "whole";
    case "function":
      return c.names.map((name) => ({ name, isFunction: true }));
    case "macro":
      return c.names.map((name) => ({ name, isFunction: false }));
    case "type":
      return c.names.map((name) => ({ name, isFunction: false }));
    case "declaration": {
      const returned = prototypeReturning(span, hit);
      return returned ? [{ name: returned, isFunction: true }] : [];
    }
    default: {
      // `extern struct foo bar;` / `DECLARE_PER_CPU(struct foo, bar);`: users name bar.
      const vars = declaredVariables(span);
      return vars.length > 0 && hit.every((h) => !h.isFunction)
        ? vars.map((name) => ({ name, isFunction: false }))
        : "whole";
    }
  }
}

/** The changed names a file (already stripped) uses, or may paste together. */
function hitsIn(text: string, names: Map<string, ChangedName>, pattern: RegExp): ChangedName[] {
  const hits: ChangedName[] = [];
  if (pattern.test(text)) for (const n of names.values()) if (usesName(text, n)) hits.push(n);
  return hits;
}

/** Per construct of a header, the names it adds (or "whole") given the current names. */
function headerUses(
  text: string,
  names: Map<string, ChangedName>,
  pattern: RegExp,
  pastable: ChangedName[],
  expanded: boolean,
): ChangedName[] | "whole" {
  const stripped = stripComments(text);
  const constructs = scanConstructs(text);
  const lines = stripped.split("\n");
  const added: ChangedName[] = [];
  for (const c of constructs) {
    const span = lines.slice(c.first - 1, c.last).join("\n");
    const hit = hitsIn(span, names, pattern);
    if (c.kind === "macro" && pastable.length > 0) {
      const pasted = pasteFragments(span);
      hit.push(...pastable.filter((n) => pastesName(pasted, n.name)));
    }
    if (hit.length === 0) continue;
    const use = useInConstruct(c, span, hit, expanded);
    if (use === "whole") return "whole";
    added.push(...use);
  }
  // Uses outside any construct (an #if line, a stray statement) keep the whole header.
  const covered = new Uint8Array(lines.length + 2);
  for (const c of constructs) covered.fill(1, c.first, c.last + 1);
  for (const [i, line] of lines.entries()) {
    if (covered[i + 1] || !pattern.test(line)) continue;
    if (hitsIn(line, names, pattern).length > 0) return "whole";
  }
  return added;
}

/**
 * Tree files read in this process, by tree: the search reads every header of the tree, once
 * per changed header of a build, and an update changes over a hundred. The pristine tree does
 * not change while hotpatch runs. A missing file reads as empty.
 */
const treeTexts = new Map<string, Map<string, string>>();

function cachedReader(tree: string): (file: string) => string {
  const texts = treeTexts.get(tree) ?? new Map<string, string>();
  treeTexts.set(tree, texts);
  return (file) => {
    let t = texts.get(file);
    if (t === undefined) {
      try {
        t = readFileSync(join(tree, file), "latin1");
      } catch {
        t = "";
      }
      texts.set(file, t);
    }
    return t;
  };
}

/**
 * A tree file's pastes, found once per process (a register header is 20 MB, an enum change
 * has 150 names, and every pass asks again).
 */
const fragmentsByFile = new Map<string, Array<[string, string]>>();

function treeFragments(tree: string, file: string, read: (file: string) => string): Array<[string, string]> {
  const key = `${tree}\0${file}`;
  const known = fragmentsByFile.get(key) ?? pasteFragments(stripComments(read(file)));
  fragmentsByFile.set(key, known);
  return known;
}

/** Every header the index knows (built once per index). */
const indexHeaders = new WeakMap<IncludeIndex, Set<string>>();

function headersOf(index: IncludeIndex): Set<string> {
  let headers = indexHeaders.get(index);
  if (headers) return headers;
  headers = new Set<string>();
  for (const [file, targets] of Object.entries(index.includes)) {
    if (file.endsWith(".h")) headers.add(file);
    for (const t of targets) if (t.endsWith(".h")) headers.add(t);
  }
  indexHeaders.set(index, headers);
  return headers;
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

/** Fast pre-filter: the names as words, plus the fragments that could paste them. */
function quickPattern(names: Map<string, ChangedName>, pastable: ChangedName[]): RegExp {
  const words = [...names.keys()];
  return pastable.length > 0
    ? new RegExp(`\\b(?:${words.join("|")})\\b|##|PASTE|CONCAT|__cat`)
    : wordPattern(words);
}

/**
 * The most names the search follows. Past it, narrowing costs more than it saves (each round
 * scans every header of the tree with a pattern of all the names: a change to a header such
 * as arch/x86/include/asm/kvm_host.h, whose pasting macros match generic helpers, grew to
 * thousands of names and ran for an hour) and every includer is kept: the preprocessor then
 * decides, as for a header whose change is outside any named construct.
 */
export const MAX_FOLLOWED_NAMES = 400;

/**
 * Of `users` (.c files including `header`), those that may use one of `changed` (from
 * header-scope.ts and the expansion probe), directly or through other headers' constructs.
 * `expanded`: the headers whose macro expansions the probe already compared.
 */
export function usersOfChangedNames(
  tree: string,
  index: IncludeIndex,
  header: string,
  users: string[],
  changed: ChangedName[],
  expanded: ReadonlySet<string> = new Set(),
): string[] {
  if (changed.length === 0) return [];
  if (changed.length > MAX_FOLLOWED_NAMES) return users;
  const read = cachedReader(tree);
  const includers = directIncluders(index);
  const headers = new Set(headersOf(index));
  headers.delete(header); // its own constructs: already grown by header-scope.ts
  const names = new Map(changed.map((n) => [n.name, n]));
  // Only constants and macros are pasted together; a function name is called by name.
  const pastable = changed.filter((n) => !n.isFunction);
  const wholeHeaders = new Set<string>();
  const fragmentsOf = (file: string) => treeFragments(tree, file, read);
  // Each pass looks only for the names the previous one added (a header that names none of
  // them gives what it gave before); what a header adds is judged against all names so far.
  for (let fresh = new Map(names); fresh.size > 0; ) {
    const freshPastable = pastable.filter((n) => fresh.has(n.name));
    const pattern = quickPattern(fresh, freshPastable);
    const words = wordPattern(fresh.keys());
    const added = new Map<string, ChangedName>();
    for (const h of headers) {
      const text = read(h);
      if (wholeHeaders.has(h) || !pattern.test(text)) continue;
      // The quick pattern lets in every header with a `##`; scanning a 20 MB register header
      // costs a second, so first check that it names or can paste one of the fresh names.
      if (!words.test(text) && !freshPastable.some((n) => pastesName(fragmentsOf(h), n.name))) continue;
      const use = headerUses(text, names, wordPattern(names.keys()), pastable, expanded.has(h));
      if (use === "whole") {
        wholeHeaders.add(h);
        continue;
      }
      for (const n of use) {
        if (names.has(n.name)) continue;
        names.set(n.name, n);
        added.set(n.name, n);
      }
      if (names.size > MAX_FOLLOWED_NAMES) return users;
    }
    fresh = added;
  }
  const reached = includersOf(wholeHeaders, includers);
  const pattern = wordPattern(names.keys());
  return users.filter((u) => {
    if (reached.has(u)) return true;
    const text = stripComments(read(u));
    if (hitsIn(text, names, pattern).length > 0) return true;
    const pasted = pasteFragments(text);
    return pastable.some((n) => pastesName(pasted, n.name));
  });
}
