// SPDX-License-Identifier: GPL-2.0-only
// What a fix changes in a header, read from the source around its hunks, so that a header fix
// does not mean "rebuild every unit that includes the header": the names of the constructs
// its changed lines belong to (inline functions, macros, prototypes, types and their enum
// constants), grown by the header's own constructs that use them. header-users.ts then keeps
// the includers that can reach those names, and the preprocessor (preprocess.ts) has the last
// word on each unit. A change outside any named construct (an #include, an #if, initialised
// data) keeps every includer. This is narrowing only: whether a change is safe is decided from
// the compiled objects (code, data, debug info).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Construct, constructAt, mentions, scanConstructs, stripComments } from "./c-scan.ts";
import { applyHunks, changedLines } from "./hunks.ts";

export type HeaderChange =
  /** Only these names' definitions change (an empty list: comments, blank lines). */
  | { kind: "names"; names: string[] }
  /** A change outside any named construct, at this line of the fixed header. */
  | { kind: "whole"; line: number };

/** The names the changed lines of a header define, or the line that keeps every includer. */
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
  for (const [text, changed] of sides) {
    const constructs = scanConstructs(text);
    const stripped = stripComments(text).split("\n");
    for (const line of changed) {
      if (!(stripped[line - 1] ?? "").trim()) continue; // blank or comment only
      const c = constructAt(constructs, line);
      if (!c || c.kind === "other" || c.kind === "invocation" || c.names.length === 0)
        return { kind: "whole", line };
      for (const n of c.names) names.add(n);
    }
  }
  growWithOwnUsers(patched, names);
  return { kind: "names", names: [...names].sort() };
}

/** The header's own inline functions, macros and types that use a changed name change too. */
function growWithOwnUsers(text: string, names: Set<string>): void {
  const own = scanConstructs(text).filter(
    (c) => c.kind === "function" || c.kind === "macro" || c.kind === "type",
  );
  const body = stripComments(text).split("\n");
  const spans = new Map<Construct, string>(own.map((c) => [c, body.slice(c.first - 1, c.last).join("\n")]));
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of own) {
      if (c.names.every((n) => names.has(n))) continue;
      const span = spans.get(c) as string;
      if (![...names].some((n) => mentions(span, n))) continue;
      for (const n of c.names) names.add(n);
      grew = true;
    }
  }
}

/** classifyHeaderChange for `header` of `tree` and a fix; undefined when the header is new. */
export function headerChange(tree: string, header: string, fixText: string): HeaderChange | undefined {
  const path = join(tree, header);
  if (!existsSync(path)) return undefined;
  const original = readFileSync(path, "latin1");
  return classifyHeaderChange(original, applyHunks(original, fixText, header), changedLines(fixText, header));
}

/** The names that the header's functions and prototypes define (a call is how they are used). */
export function functionNames(text: string): Set<string> {
  const found = new Set<string>();
  for (const c of scanConstructs(text))
    if (c.kind === "function" || c.kind === "declaration") for (const n of c.names) found.add(n);
  return found;
}
