// SPDX-License-Identifier: GPL-2.0-only
// Source-level markers a patch author can put in the fix (kpatch's macros, understood for
// compatibility): KPATCH_IGNORE_FUNCTION / KPATCH_IGNORE_SECTION, and load/unload callbacks
// (`.kpatch.callbacks.*`, or hotpatch's own `.hotpatch.callbacks.*`). They arrive as sections
// whose relocations name the function or section concerned.
import type { DiffObject, DSymbol } from "./model.ts";
import { STT_FUNC } from "./predicates.ts";
import { resolveTarget, stringAt } from "./resolve.ts";

export interface Markers {
  ignoredFunctions: Set<DSymbol>;
  ignoredSections: Set<string>;
  callbacks: Set<DSymbol>;
}

/** Helper symbols the marker macros create; never functions or data of the patch. */
export function isMarkerSymbol(sym: DSymbol): boolean {
  return (
    sym.name.startsWith("__kpatch_") ||
    sym.name.startsWith("__UNIQUE_ID_kpatch_") ||
    sym.name.startsWith("__hotpatch_")
  );
}

export function isMarkerSection(name: string): boolean {
  return name.startsWith(".kpatch.") || name.startsWith(".hotpatch.");
}

export function findMarkers(obj: DiffObject): Markers {
  const m: Markers = { ignoredFunctions: new Set(), ignoredSections: new Set(), callbacks: new Set() };
  for (const sec of obj.sections) {
    if (!isMarkerSection(sec.name)) continue;
    for (const r of sec.relocs) {
      const t = resolveTarget(sec, r);
      if (sec.name === ".kpatch.ignore.functions" && t.kind === "symbol") m.ignoredFunctions.add(t.sym);
      else if (sec.name === ".kpatch.ignore.sections" && t.kind === "anon")
        m.ignoredSections.add(stringAt(t.sec, t.offset));
      else if (sec.name.includes(".callbacks.") && t.kind === "symbol" && t.sym.type === STT_FUNC)
        m.callbacks.add(t.sym);
    }
  }
  return m;
}
