// SPDX-License-Identifier: GPL-2.0-only
// Changed code that no function symbol names (assembly, unnamed code): the patch cannot
// replace it, so diffViews refuses it.
import type { Side } from "./fingerprint.ts";
import type { DiffObject, DSection } from "./model.ts";
import { isText, STT_FUNC } from "./predicates.ts";
import { resolveTarget } from "./resolve.ts";
import type { Refusal } from "./types.ts";
import { orphanChange } from "./verdicts.ts";

/** Executable sections without any function symbol (assembly, unnamed code) that changed. */
export function orphanSections(
  origObj: DiffObject,
  patchedObj: DiffObject,
  origSide: Side,
  patchedSide: Side,
): Refusal[] {
  const out: Refusal[] = [];
  for (const p of patchedObj.sections) {
    if (!isText(p) || p.symbols.some((s) => s.type === STT_FUNC)) continue;
    if (isCarriedOrUnused(p)) continue;
    const o = origObj.sectionByName.get(p.name);
    if (!o) {
      if (p.size > 0) out.push(orphanChange(p.name));
      continue;
    }
    if (!sameCode(origSide, o, patchedSide, p)) out.push(orphanChange(p.name));
  }
  return out;
}

/**
 * Unnamed code that is not a change of its own: out-of-line code reached through the
 * functions' special-section entries (alternative replacements, exception fixups, refcount
 * error paths), static call trampolines, and an empty .noinstr.text.
 */
function isCarriedOrUnused(p: DSection): boolean {
  return (
    p.name === ".altinstr_replacement" ||
    p.name === ".fixup" ||
    p.name === ".altinstr_aux" ||
    p.name.startsWith(".text..refcount") ||
    p.name === ".static_call.text" ||
    (p.name === ".noinstr.text" && p.size === 0)
  );
}

/** Same bytes and relocations to the same (correlated) targets. */
function sameCode(origSide: Side, o: DSection, patchedSide: Side, p: DSection): boolean {
  return (
    o.size === p.size &&
    Buffer.compare(Buffer.from(o.data), Buffer.from(p.data)) === 0 &&
    o.relocs.length === p.relocs.length &&
    o.relocs.every((r, i) => {
      const q = p.relocs[i];
      return (
        q !== undefined &&
        r.offset === q.offset &&
        r.type === q.type &&
        keyOf(origSide, o, r) === keyOf(patchedSide, p, q)
      );
    })
  );
}

function keyOf(side: Side, sec: DSection, r: DSection["relocs"][number]): string {
  const t = resolveTarget(sec, r);
  if (t.kind === "symbol") return `${side.canonical(t.sym)}+${t.delta}`;
  if (t.kind === "external") return `${t.name}+${t.delta}`;
  if (t.kind === "anon") return `${t.sec.name}+${t.raw}`;
  return "-";
}
