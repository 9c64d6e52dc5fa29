// SPDX-License-Identifier: GPL-2.0-only
// A deliberately small C scanner for headers and sources: top-level constructs (functions,
// types, macros, declarations) with their line spans, comments and string literals blanked.
// It serves only to narrow which units a header fix can reach (src/kernel/header-scope.ts and
// header-users.ts); whether a change is safe is decided from the compiled objects. When it is
// unsure it says "other", which keeps every includer.

export interface Construct {
  /** `invocation`: a top-level macro call without `;` (`TASK_PFA_TEST(NO_NEW_PRIVS, no_new_privs)`),
   * whose expansion defines names that appear nowhere in the text. */
  kind: "function" | "type" | "macro" | "declaration" | "invocation" | "other";
  /** The defined name; for a type every name it brings into scope (tag, typedef, enum constants). */
  names: string[];
  first: number;
  last: number;
}

/** Blanks comments and the insides of string/char literals, keeping line breaks. */
export function stripComments(text: string): string {
  // Plain code is copied a run at a time (char by char, big files spent most of their time
  // collecting garbage); only comments and literals are looked at closely.
  const parts: string[] = [];
  const special = /\/\*|\/\/|["']/g;
  let i = 0;
  for (;;) {
    special.lastIndex = i;
    const m = special.exec(text);
    if (!m) break;
    parts.push(text.slice(i, m.index));
    i = m.index;
    const c = text[i] as string;
    if (m[0] === "/*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      parts.push(text.slice(i, stop).replace(/[^\n]/g, " "));
      i = stop;
    } else if (m[0] === "//") {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? text.length : end;
      parts.push(" ".repeat(stop - i));
      i = stop;
    } else {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      parts.push(c + " ".repeat(Math.max(0, j - i - 1)) + (text[j] === c ? c : ""));
      i = text[j] === c ? j + 1 : j;
    }
  }
  parts.push(text.slice(i));
  return parts.join("");
}

/** Layout attributes that may stand between `struct` and its name (`struct __packed x {`). */
function withoutAttributes(head: string): string {
  return head
    .replace(/__attribute__\s*\(\(.*?\)\)/g, " ")
    .replace(
      /\b(?:__packed|__aligned\s*\([^)]*\)|__randomize_layout|__no_randomize_layout|__designated_init|____cacheline_aligned\w*)/g,
      " ",
    )
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * An attribute after a declarator (`__acquires(x)`, `__printf(1, 2)`, `__must_check`). Each
 * alternative matches one way only (a name ends where word characters end, parentheses nest
 * twice, as in `__attribute__((format(printf, 1, 2)))`): the earlier `(__\w+(\(.*\))?\s*)*` backtracked exponentially on long macro heads
 * (16 s on one trace header).
 */
const NESTED_PARENS = String.raw`\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)`;
const TRAILING_ATTRIBUTE = String.raw`__\w+(?!\w)\s*(?:${NESTED_PARENS}\s*)?`;
/** A head that ends like a function declarator: `)` then only attributes. */
export const ENDS_AS_PROTOTYPE = new RegExp(String.raw`\)\s*(?:${TRAILING_ATTRIBUTE})*$`);
/** The variable an initialised declaration defines: `name[N] __attr =`. */
const INITIALISED_VARIABLE = new RegExp(
  String.raw`([A-Za-z_]\w*)\s*(\[[^\]]*\]\s*)*(?:${TRAILING_ATTRIBUTE})*=`,
);

const KEYWORDS = new Set(["if", "for", "while", "switch", "return", "sizeof", "typeof", "__attribute__"]);

/** Identifiers that a braced enum body defines. */
function enumConstants(body: string): string[] {
  const names: string[] = [];
  let depth = 0;
  let expectName = true;
  for (const token of body.matchAll(/[A-Za-z_]\w*|[(),{}]/g)) {
    const t = token[0];
    if (t === "(" || t === "{") depth++;
    else if (t === ")" || t === "}") depth--;
    else if (t === ",") expectName = depth === 0;
    else if (expectName && depth === 0) {
      names.push(t);
      expectName = false;
    }
  }
  return names;
}

/**
 * What a top-level construct defines, from its head (the text before `{` or `;`), its braced
 * body when it has one, and the text between the closing brace and the `;` (typedef names,
 * variables).
 */
function classifyHead(
  head: string,
  body: string | undefined,
  tail: string,
): Omit<Construct, "first" | "last"> {
  const flat = head.replace(/\s+/g, " ").trim();
  const braced = body !== undefined;
  const tailNames = [...tail.matchAll(/[A-Za-z_]\w*/g)].map((m) => m[0]).filter((n) => !n.startsWith("__"));
  const tag = /\b(struct|union|enum)\s+([A-Za-z_]\w*)\s*$/.exec(withoutAttributes(flat));
  const typedef = /^typedef\b/.test(flat);
  if (braced && /\b(struct|union|enum)\b[^=()]*$/.test(flat)) {
    const names = [...(tag ? [tag[2] as string] : []), ...tailNames];
    if (/\benum\b/.test(flat)) names.push(...enumConstants(body));
    return { kind: "type", names };
  }
  if (!braced && typedef) {
    // `typedef struct foo foo_t;`, `typedef int (*fn_t)(...)`: the last name, or the one in (*x).
    const pointer = /\(\s*\*\s*([A-Za-z_]\w*)\s*\)/.exec(flat);
    const last = /([A-Za-z_]\w*)\s*(\[[^\]]*\]\s*)*$/.exec(flat);
    const name = pointer?.[1] ?? last?.[1];
    return { kind: "type", names: name ? [name] : [] };
  }
  if (flat.includes("=")) {
    // Initialised data: kept "other" (it is not code), named for the preprocessor probe.
    const variable = INITIALISED_VARIABLE.exec(flat);
    return { kind: "other", names: variable ? [variable[1] as string] : [] };
  }
  const call = /([A-Za-z_]\w*)\s*\(/.exec(flat.replace(/__attribute__\s*\(\(.*?\)\)/g, ""));
  if (call && !KEYWORDS.has(call[1] as string) && ENDS_AS_PROTOTYPE.test(flat)) {
    return { kind: braced ? "function" : "declaration", names: [call[1] as string] };
  }
  return { kind: "other", names: [] };
}

/** The text's top-level constructs with their line spans (1-based, inclusive). */
export function scanConstructs(text: string): Construct[] {
  const lines = stripComments(text).split("\n");
  const found: Construct[] = [];
  let depth = 0;
  let head = "";
  let headFirst = 0;
  let tail = "";
  /** Where the open body starts: line index and the column after its `{`. */
  let bodyFrom = { line: 0, column: 0 };
  let open: { head: string; first: number } | undefined;
  let closed: { head: string; body: string; first: number } | undefined;
  const finish = (lineNo: number) => {
    if (closed)
      found.push({ ...classifyHead(closed.head, closed.body, tail), first: closed.first, last: lineNo });
    closed = undefined;
    tail = "";
    head = "";
    headFirst = 0;
  };
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] as string;
    const lineNo = n + 1;
    if (depth === 0 && !closed && /^\s*#/.test(line)) {
      let last = n;
      while ((lines[last] as string).trimEnd().endsWith("\\") && last + 1 < lines.length) last++;
      const define = /^\s*#\s*define\s+([A-Za-z_]\w*)/.exec(line);
      found.push({
        kind: define ? "macro" : "other",
        names: define ? [define[1] as string] : [],
        first: lineNo,
        last: last + 1,
      });
      n = last;
      continue;
    }
    for (let k = 0; k < line.length; k++) {
      const c = line[k] as string;
      if (depth > 0) {
        if (c === "{") depth++;
        else if (c === "}") depth--;
        if (depth === 0 && open) {
          const body = bodyText(lines, bodyFrom, { line: n, column: k });
          closed = { head: open.head, body, first: open.first };
          open = undefined;
          // A function ends at its `}`; `struct x { ... } name;` at the `;`.
          if (classifyHead(closed.head, "", "").kind === "function") finish(lineNo);
        }
      } else if (closed) {
        if (c === ";") finish(lineNo);
        else tail += c;
      } else if (c === "{") {
        open = { head, first: headFirst || lineNo };
        depth = 1;
        bodyFrom = { line: n, column: k + 1 };
      } else if (c === ";") {
        if (head.trim())
          found.push({ ...classifyHead(head, undefined, ""), first: headFirst || lineNo, last: lineNo });
        head = "";
        headFirst = 0;
      } else {
        // Whitespace before a head starts is not kept: a long comment (blanked) between two
        // constructs would otherwise grow the head, and trimming it on every line is quadratic.
        if (!headFirst && !c.trim()) continue;
        if (!headFirst) headFirst = lineNo;
        head += c;
      }
    }
    if (depth > 0) continue;
    if (closed) tail += " ";
    else if (isInvocation(head, lines, n)) {
      found.push({
        kind: "invocation",
        names: [invokedName(head)],
        first: headFirst || lineNo,
        last: lineNo,
      });
      head = "";
      headFirst = 0;
    } else if (headFirst) head += "\n";
  }
  if (closed) finish(lines.length);
  return found;
}

/** The text between a body's braces (lines joined with newlines), from `from` up to `to`. */
function bodyText(
  lines: string[],
  from: { line: number; column: number },
  to: { line: number; column: number },
): string {
  if (from.line === to.line) return (lines[from.line] as string).slice(from.column, to.column);
  return [
    (lines[from.line] as string).slice(from.column),
    ...lines.slice(from.line + 1, to.line),
    (lines[to.line] as string).slice(0, to.column),
  ].join("\n");
}

const INVOCATION = /^\s*([A-Za-z_]\w*)\s*\(/;

/** The head so far is a complete macro call standing alone (balanced, not a function's head). */
function isInvocation(head: string, lines: string[], n: number): boolean {
  const text = head.trim();
  if (!INVOCATION.test(text) || !text.endsWith(")")) return false;
  let depth = 0;
  for (const c of text) {
    if (c === "(") depth++;
    else if (c === ")") depth--;
  }
  if (depth !== 0) return false;
  for (let k = n + 1; k < lines.length; k++) {
    const next = (lines[k] as string).trim();
    if (next === "") continue;
    return !next.startsWith("{") && !next.startsWith(";") && !next.startsWith("__");
  }
  return true;
}

function invokedName(head: string): string {
  return (INVOCATION.exec(head.trim()) as RegExpExecArray)[1] as string;
}

export function constructAt(constructs: Construct[], line: number): Construct | undefined {
  return constructs.find((c) => c.first <= line && line <= c.last);
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

export function wordPattern(names: Iterable<string>, flags = ""): RegExp {
  return new RegExp(`\\b(?:${[...names].join("|")})\\b`, flags);
}
