// SPDX-License-Identifier: GPL-2.0-only
// Exports a fix adds or removes (EXPORT_SYMBOL lines): they change no code, so the differ's
// verdict does not see them, but a livepatch cannot change the running kernel's export table.
// Reported as warnings so a "no change" answer is not mistaken for "nothing to do".
import type { DiffObject } from "./model.ts";

/** kbuild puts each export in its own `___ksymtab[_gpl]+<name>` section. */
export function exportsOf(obj: DiffObject): Set<string> {
  const names = new Set<string>();
  for (const sec of obj.sections) {
    const m = /^___ksymtab(?:_gpl)?\+(.+)$/.exec(sec.name);
    if (m?.[1]) names.add(m[1]);
  }
  return names;
}

export function exportWarnings(orig: DiffObject, patched: DiffObject): string[] {
  const before = exportsOf(orig);
  const after = exportsOf(patched);
  const out: string[] = [];
  for (const name of after)
    if (!before.has(name))
      out.push(
        `the fix exports ${name}: a livepatch cannot add an export, so modules that need it load only on the fixed kernel`,
      );
  for (const name of before)
    if (!after.has(name))
      out.push(`the fix removes the export of ${name}: the running kernel keeps exporting it`);
  return out;
}
