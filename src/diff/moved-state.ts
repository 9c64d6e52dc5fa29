// SPDX-License-Identifier: GPL-2.0-only
// Stage 5b of diffViews: state that a fix moves out of the running kernel's reach. The patch
// carries its own copy of new writable data, which starts at its initial value. That is fine
// for new state, but not when the fix renames or replaces an existing writable object
// (`static LIST_HEAD(formats)` renamed, `enabled` replaced by a new `misc_disabled`): the
// running kernel's object holds everything registered or set before the patch, and the
// patched code would look at a fresh, empty lookalike instead.
import type { DiffContext } from "./context.ts";
import { isMarkerSymbol } from "./markers.ts";
import type { DSymbol } from "./model.ts";
import { isSpecialStatic, isWritable, STT_OBJECT } from "./predicates.ts";
import type { Refusal, SymbolReference } from "./types.ts";
import { movedState } from "./verdicts.ts";

/** Writable data objects of the unit's own (not per-site statics, not markers). */
function isStateObject(sym: DSymbol): boolean {
  return (
    sym.type === STT_OBJECT &&
    sym.section !== undefined &&
    isWritable(sym.section) &&
    !isSpecialStatic(sym) &&
    !isMarkerSymbol(sym) &&
    !sym.section.name.startsWith(".init") &&
    !sym.section.name.startsWith(".exit")
  );
}

/**
 * Refuses new writable objects the patch carries when the fixed build also lost a writable
 * object of the original: a rename or a lookalike, whose state the running kernel keeps.
 */
export function movedStateRefusals(ctx: DiffContext, references: SymbolReference[]): Refusal[] {
  const gone = ctx.origObj.symbols.filter((s) => isStateObject(s) && !ctx.corr.toPatched.has(s));
  if (gone.length === 0) return [];
  const fresh = references.filter((r) => r.kind === "new-data" && r.type === "object");
  const byName = new Map(ctx.patchedObj.symbols.map((s) => [s.name, s]));
  const goneNames = gone.map((s) => s.name).join(", ");
  return fresh
    .filter((r) => {
      const sym = byName.get(r.name);
      return sym !== undefined && isStateObject(sym);
    })
    .map((r) => movedState(r.name, goneNames, r.usedBy));
}
