// SPDX-License-Identifier: GPL-2.0-only
// A fix that changes the value of a constant (`#define PFA_NO_NEW_PRIVS 0` -> 5) changes what
// data already in the running kernel means wherever the constant encodes that data: a bit
// number in a flags word, a mask, a state compared or switched on. Tasks that set
// no_new_privs before the patch have bit 0 set; the patched code tests bit 5. No object diff
// can see that: the code changes consistently, the data does not. Such a use refuses the fix;
// a limit (`len > MAX_LEN`), a size or a count is not an encoding and stays allowed.
//
// Uses are found in three places: the changed files' own text, the source files of the
// affected units, and (for macros that paste the name together or expand elsewhere) the
// preprocessor's expansion of one includer, where the old and the new value stand in the
// changed definitions.
import { stripComments } from "./c-scan.ts";
import { changedLines } from "./hunks.ts";

/** An object-like macro whose value a fix changes. */
export interface ChangedConstant {
  name: string;
  old: string;
  new: string;
}

const DEFINE = /^\s*#\s*define\s+([A-Za-z_]\w*)[ \t]+(.+?)\s*$/;
/** A value worth comparing: a number, or a small expression of numbers (`(1UL << 31)`, `BIT(3)`). */
const SIMPLE_VALUE =
  /^[(\s]*[-~]?\s*(?:0x[0-9a-fA-F]+|\d+)[uUlL]*(?:\s*(?:<<|\||\+|-)\s*(?:0x[0-9a-fA-F]+|\d+)[uUlL]*)*[)\s]*$|^BIT(?:_ULL)?\(\s*\d+\s*\)$/;

function definedValues(text: string, lines: number[]): Map<string, string> {
  const all = stripComments(text).split("\n");
  const found = new Map<string, string>();
  for (const n of lines) {
    const m = DEFINE.exec(all[n - 1] ?? "");
    if (m && SIMPLE_VALUE.test(m[2] as string)) found.set(m[1] as string, (m[2] as string).trim());
  }
  return found;
}

/** The object-like macros with a simple value that the fix changes in this file. */
export function changedConstants(
  original: string,
  patched: string,
  fixText: string,
  path: string,
): ChangedConstant[] {
  const lines = changedLines(fixText, path);
  const before = definedValues(original, lines.old);
  const after = definedValues(patched, lines.new);
  const out: ChangedConstant[] = [];
  for (const [name, old] of before) {
    const now = after.get(name);
    if (now !== undefined && now.replace(/\s+/g, "") !== old.replace(/\s+/g, ""))
      out.push({ name, old, new: now });
  }
  return out;
}

/** test_bit, __set_bit, test_and_clear_bit, and what they expand to (_test_bit, const_test_bit,
 * arch_test_bit, ...). */
const BITOPS = "\\w*(?:test|set|clear|change|assign)_bit\\w*";

/** Regular expressions that find `token` used as an encoding of data. */
function encodingPatterns(token: string): RegExp[] {
  return [
    new RegExp(`\\b${BITOPS}\\s*\\(\\s*${token}\\s*,`), // a bit number of a flags word
    new RegExp(`\\bBIT(?:_ULL)?\\s*\\(\\s*${token}\\s*\\)`),
    new RegExp(`<<\\s*\\(?\\s*${token}\\b`), // 1 << N
    new RegExp(`(?:[^&|]|^)[&|^]=?\\s*\\(?\\s*${token}\\b`), // masks: flags & FOO, flags |= FOO
    new RegExp(`\\b${token}\\s*\\)?\\s*[&|^](?![&|])`),
    new RegExp(`[=!]=\\s*\\(?\\s*${token}\\b`), // states compared
    new RegExp(`\\b${token}\\s*\\)?\\s*[=!]=`),
    new RegExp(`\\bcase\\s+${token}\\s*:`), // states switched on
  ];
}

/** The lines of `text` (comments stripped) that use `name` as an encoding, trimmed. */
export function encodingUses(text: string, name: string): string[] {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const token = /^\w+$/.test(name) ? `(?<![\\w])${escaped}(?![\\w])` : escaped;
  const patterns = encodingPatterns(token);
  const uses: string[] = [];
  for (const line of stripComments(text).split("\n")) {
    if (!line.includes(name)) continue;
    if (patterns.some((p) => p.test(line))) uses.push(line.trim());
  }
  return uses;
}

/** Uses through a paste (`PFA_##name` with PFA_NO_NEW_PRIVS changed): the pasting expression. */
export function pastedEncodingUses(text: string, name: string): string[] {
  const uses: string[] = [];
  for (const m of stripComments(text).matchAll(/(\w+)\s*##\s*\w+/g)) {
    const prefix = m[1] as string;
    if (prefix.length < 2 || !name.startsWith(prefix) || name === prefix) continue;
    uses.push(...encodingUses(text, m[0]));
  }
  return [...new Set(uses)];
}

/**
 * Uses in expanded definitions: where a changed definition's tokens differ only in the old
 * value turning into the new one, that spot is classified like a source use.
 */
export function expandedEncodingUses(
  changed: Array<{ name: string; old: string; new: string }>,
  constant: ChangedConstant,
): string[] {
  const number = (v: string) => /^\(?\s*(0x[0-9a-fA-F]+|\d+)[uUlL]*\s*\)?$/.exec(v)?.[1];
  const [from, to] = [number(constant.old), number(constant.new)];
  if (from === undefined || to === undefined) return [];
  const tokens = (t: string) => t.match(/0x[0-9a-fA-F]+|\w+|[^\s\w]/g) ?? [];
  const uses: string[] = [];
  for (const d of changed) {
    const [a, b] = [tokens(d.old), tokens(d.new)];
    if (a.length !== b.length) continue;
    for (let i = 0; i < a.length; i++) {
      if (a[i] === b[i] || Number(a[i]) !== Number(from) || Number(b[i]) !== Number(to)) continue;
      const window = b.slice(Math.max(0, i - 8), i + 8).join(" ");
      const marked = [...b.slice(Math.max(0, i - 8), i), "HOTPATCH_VALUE", ...b.slice(i + 1, i + 8)].join(
        " ",
      );
      if (encodingUses(marked, "HOTPATCH_VALUE").length > 0) uses.push(`${d.name}: ${window}`);
    }
  }
  return uses;
}

/** The refusal's sentence for a constant and where it encodes data. */
export function encodingReason(c: ChangedConstant, uses: string[]): string {
  return `the fix changes ${c.name} from ${c.old} to ${c.new}, and it encodes data the running kernel already holds (${uses.slice(0, 3).join("; ")}): values stored before the patch keep the old meaning while the patched code reads them with the new one`;
}
