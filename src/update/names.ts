// SPDX-License-Identifier: GPL-2.0-only
// The names one file's change defines and uses, read from the source around its changed lines
// (src/kernel/c-scan.ts). They decide only which files of an update go into one fix together
// (split.ts); whether a fix is safe is decided from the compiled objects, never here.
//
// A file's change defines a name when a changed line defines it (a macro, function,
// prototype, global variable, type, typedef or enum constant; in a header also a member added
// to a struct or union that already existed) and the file's other side lacks it altogether: a
// new helper, field or function on the added side, or one the change deletes on the removed
// side. What a .c file defines is its own unless it has external linkage (a non-static
// function or variable). A change uses the names on its changed lines. Member names are
// short and common (`dev`, `count`), so a member is used only as a member (`->x`, `.x`) by a
// file that names the member's struct (its tag or typedef) somewhere.
import { type Construct, scanConstructs, stripComments } from "../kernel/c-scan.ts";

export interface SideNames {
  /** Names this side's changed lines define that the other side lacks (members excepted). */
  defines: Set<string>;
  /** Members this side's changed lines add to (or remove from) a struct or union that exists
   * on both sides, with the names of that type (tag, typedefs). */
  members: Map<string, string[]>;
  /** Identifiers on this side's changed lines. */
  uses: Set<string>;
  /** Identifiers on this side's changed lines used as members (after `.` or `->`). */
  memberUses: Set<string>;
  /** Every identifier of this side's whole text (which struct types the file names). */
  all: Set<string>;
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
  const name = c.names[0];
  // The whole first word: `int in(void);` starts with "in" but is a prototype of in().
  const startsWithName = name !== undefined && new RegExp(`^${name}\\b`).test(head);
  if ((c.kind === "function" || c.kind === "declaration") && startsWithName) return [];
  if (c.kind === "other") {
    // Data: only a plain declaration names a variable. A statement inside a macro call's
    // arguments (`__entry->ref = ref;` in TP_fast_assign) looks like one at the top level.
    if (head.startsWith("#") || /->|\.|\(/.test(head)) return [];
    if (c.names.length > 0) return c.names;
    const name = memberName(`${head};`);
    return name ? [name] : [];
  }
  return c.names;
}

interface Defined {
  names: Set<string>;
  /** Member name -> the names of the struct or union it is declared in. */
  members: Map<string, string[]>;
}

/** The members `wanted` lines declare inside a struct or union construct. */
function membersOn(stripped: string[], c: Construct, wanted: Set<number>, into: Map<string, string[]>): void {
  if (c.names.length === 0) return; // an anonymous type: its members are reached through others
  for (let line = c.first; line <= c.last; line++) {
    if (!wanted.has(line)) continue;
    const member = memberName(stripped[line - 1] ?? "");
    if (member && !c.names.includes(member)) into.set(member, c.names);
  }
}

/** The names `changed` lines (1-based) of `text` define, in a header or a .c file. */
function definedOn(text: string, stripped: string[], changed: number[], isHeader: boolean): Defined {
  const defined: Defined = { names: new Set(), members: new Map() };
  if (changed.length === 0) return defined;
  const wanted = new Set(changed);
  for (const c of scanConstructs(text)) {
    let touches = false;
    for (let line = c.first; line <= c.last && !touches; line++) touches = wanted.has(line);
    if (!touches || c.kind === "invocation") continue;
    const head = headOf(stripped, c);
    const names = constructNames(c, head);
    if (isHeader) {
      for (const n of names) defined.names.add(n);
      if (c.kind === "type" && !/\benum\b/.test(head)) membersOn(stripped, c, wanted, defined.members);
    } else if (c.kind !== "type" && c.kind !== "macro" && !/\bstatic\b/.test(head)) {
      // Only what has external linkage reaches other files from a .c file.
      for (const n of names) defined.names.add(n);
    }
  }
  return defined;
}

function sideNames(
  text: string,
  stripped: string,
  changed: number[],
  sides: { own: Set<string>; other: Set<string> },
  isHeader: boolean,
): SideNames {
  const otherSide = sides.other;
  const lines = stripped.split("\n");
  const defined = definedOn(text, lines, changed, isHeader);
  const uses = new Set<string>();
  const memberUses = new Set<string>();
  for (const line of changed) {
    const code = lines[line - 1] ?? "";
    for (const id of code.match(IDENTIFIER) ?? []) uses.add(id);
    for (const m of code.matchAll(/(?:\.|->)\s*([A-Za-z_]\w*)/g)) memberUses.add(m[1] as string);
  }
  const isNew = (n: string) => !otherSide.has(n);
  // A member of a type new on this side comes with the type: those using it name the type.
  const members = new Map(
    [...defined.members].filter(([m, owners]) => isNew(m) && owners.some((o) => otherSide.has(o))),
  );
  return {
    defines: new Set([...defined.names].filter(isNew)),
    members,
    uses,
    memberUses,
    all: sides.own,
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
  const oldStripped = stripComments(oldText);
  const newStripped = stripComments(newText);
  const oldIds = identifiersOf(oldStripped);
  const newIds = identifiersOf(newStripped);
  return {
    added: sideNames(newText, newStripped, lines.new, { own: newIds, other: oldIds }, isHeader),
    removed: sideNames(oldText, oldStripped, lines.old, { own: oldIds, other: newIds }, isHeader),
  };
}
