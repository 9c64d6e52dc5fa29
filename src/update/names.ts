// SPDX-License-Identifier: GPL-2.0-only
// The names one file's change defines and uses, read from the source around its changed lines
// (src/kernel/c-scan.ts). They decide only which files of an update go into one fix together
// (split.ts); whether a fix is safe is decided from the compiled objects, never here.
//
// A file's change defines a name when a changed line defines it (a macro, function,
// prototype, global variable, type, typedef or enum constant; in a header also a struct or
// union member) and the file's other side lacks it altogether: a new helper, field or function
// on the added side, or one the change deletes on the removed side. What a .c file defines is
// its own unless it has external linkage (a non-static function or variable). A change uses
// the names on its changed lines; a member name is used only as a member (`->x`, `.x`).
import { type Construct, scanConstructs, stripComments } from "../kernel/c-scan.ts";

export interface SideNames {
  /** Names this side's changed lines define that the other side lacks. */
  defines: Set<string>;
  /** Of those, the struct or union members. */
  members: Set<string>;
  /** Identifiers on this side's changed lines. */
  uses: Set<string>;
  /** Identifiers on this side's changed lines used as members (after `.` or `->`). */
  memberUses: Set<string>;
}

export interface ChangeNames {
  /** The fixed text's added lines. */
  added: SideNames;
  /** The original text's removed lines. */
  removed: SideNames;
}

const IDENTIFIER = /[A-Za-z_]\w*/g;

function identifiersOf(text: string): Set<string> {
  return new Set(text.match(IDENTIFIER) ?? []);
}

/** A member declaration's name: `int x;`, `u8 x[4];`, `unsigned x:3;`, `void (*x)(...)`. */
function memberName(line: string): string | undefined {
  const pointer = /\(\s*\*\s*([A-Za-z_]\w*)\s*\)\s*\(/.exec(line);
  if (pointer) return pointer[1];
  const plain =
    /^\s*[A-Za-z_][\w\s*]*?\b([A-Za-z_]\w*)\s*(\[[^\]]*\]\s*)*(:\s*\w+\s*)?(__\w+(\([^)]*\))?\s*)*[;,]\s*$/.exec(
      line,
    );
  return plain?.[1];
}

/** A construct's text up to its body, initialiser or end (`static int foo(void)`), flattened. */
function headOf(lines: string[], c: Construct): string {
  const text = lines.slice(c.first - 1, c.last).join(" ");
  const end = text.search(/[{;=]/);
  return (end >= 0 ? text.slice(0, end) : text).replace(/\s+/g, " ").trim();
}

/**
 * The names a construct defines. A "function" or "declaration" whose head starts with its
 * name is a macro call (`DEFINE_MUTEX(x);`, `SYSCALL_DEFINE2(...) {`), which defines nothing
 * the scanner can name; an unnamed declaration (`extern int x;`) is named by its declarator.
 */
function constructNames(c: Construct, head: string): string[] {
  if ((c.kind === "function" || c.kind === "declaration") && head.startsWith(`${c.names[0]}`)) return [];
  if (c.kind === "other" && c.names.length === 0 && !head.startsWith("#")) {
    const name = memberName(`${head};`);
    return name ? [name] : [];
  }
  return c.names;
}

/** The names `changed` lines (1-based) of `text` define, in a header or a .c file. */
function definedOn(
  text: string,
  changed: number[],
  isHeader: boolean,
): { names: Set<string>; members: Set<string> } {
  const names = new Set<string>();
  const members = new Set<string>();
  if (changed.length === 0) return { names, members };
  const stripped = stripComments(text).split("\n");
  const constructs = scanConstructs(text);
  const wanted = new Set(changed);
  for (const c of constructs) {
    let touches = false;
    for (let line = c.first; line <= c.last && !touches; line++) touches = wanted.has(line);
    if (!touches || c.kind === "invocation") continue;
    const head = headOf(stripped, c);
    const defined = constructNames(c, head);
    if (isHeader) {
      for (const n of defined) names.add(n);
      if (c.kind === "type") {
        for (let line = c.first; line <= c.last; line++) {
          if (!wanted.has(line)) continue;
          const member = memberName(stripped[line - 1] ?? "");
          if (member) members.add(member);
        }
      }
    } else if (c.kind !== "type" && c.kind !== "macro" && !/\bstatic\b/.test(head)) {
      // Only what has external linkage reaches other files from a .c file.
      for (const n of defined) names.add(n);
    }
  }
  return { names, members };
}

function sideNames(text: string, changed: number[], otherSide: Set<string>, isHeader: boolean): SideNames {
  const { names, members } = definedOn(text, changed, isHeader);
  const stripped = stripComments(text).split("\n");
  const uses = new Set<string>();
  const memberUses = new Set<string>();
  for (const line of changed) {
    const code = stripped[line - 1] ?? "";
    for (const id of code.match(IDENTIFIER) ?? []) uses.add(id);
    for (const m of code.matchAll(/(?:\.|->)\s*([A-Za-z_]\w*)/g)) memberUses.add(m[1] as string);
  }
  const isNew = (n: string) => !otherSide.has(n);
  return {
    defines: new Set([...names, ...members].filter(isNew)),
    members: new Set([...members].filter((m) => isNew(m) && !names.has(m))),
    uses,
    memberUses,
  };
}

/**
 * The names a file's change defines and uses on each side. `lines` are the changed line
 * numbers (old side and new side, as src/kernel/hunks.ts's changedLines gives them).
 */
export function changeNames(
  path: string,
  oldText: string,
  newText: string,
  lines: { old: number[]; new: number[] },
): ChangeNames {
  const isHeader = path.endsWith(".h");
  const oldIds = identifiersOf(stripComments(oldText));
  const newIds = identifiersOf(stripComments(newText));
  return {
    added: sideNames(newText, lines.new, oldIds, isHeader),
    removed: sideNames(oldText, lines.old, newIds, isHeader),
  };
}
