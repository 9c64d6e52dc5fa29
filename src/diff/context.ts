// SPDX-License-Identifier: GPL-2.0-only
// What the stages of diffViews (./diff.ts) share: the two objects indexed and correlated
// (read-only), and the decisions taken so far (each stage adds to them, in order: the report
// lists functions, ignored changes and refusals in the order they were decided).
import { correlate } from "./correlate.ts";
import type { ExplainContext } from "./explain.ts";
import { makeSide } from "./fingerprint.ts";
import { findMarkers, type Markers } from "./markers.ts";
import type { DiffObject } from "./model.ts";
import { type SpecialTables, specialTables } from "./special-sections.ts";
import type { DiffOptions, IgnoredChange, Refusal } from "./types.ts";
import { type FuncUnit, functionUnits } from "./units.ts";

/** The two objects as the stages read them; nothing here changes once made. */
export interface DiffContext extends ExplainContext {
  origObj: DiffObject;
  patchedObj: DiffObject;
  origSpecial: SpecialTables;
  patchedSpecial: SpecialTables;
  markers: Markers;
  options: DiffOptions;
}

/** What the stages decide about the patched object's functions. */
export interface Decisions {
  /** functions the patch replaces */
  changed: Set<FuncUnit>;
  /** functions without a twin in the original object */
  isNew: Set<FuncUnit>;
  /** why each function changed, as the report words it */
  reasons: Map<FuncUnit, string[]>;
  ignored: IgnoredChange[];
  refused: Refusal[];
}

/** Correlates the two objects: each side's symbols compare under their twin's name. */
export function makeContext(origObj: DiffObject, patchedObj: DiffObject, options: DiffOptions): DiffContext {
  const orig = functionUnits(origObj);
  const patched = functionUnits(patchedObj);
  const corr = correlate(orig, patched);
  const origSide = makeSide(origObj, (s) => (corr.toPatched.has(s) ? s.name : `gone:${s.name}`));
  const patchedSide = makeSide(patchedObj, (s) => {
    const o = corr.toOrig.get(s);
    return o ? o.name : `new:${s.name}`;
  });
  const overrides = options.entrySizes ?? {};
  return {
    orig,
    patched,
    origSide,
    patchedSide,
    corr,
    sourceFunctions: new Set(options.sourceFunctions ?? []),
    origObj,
    patchedObj,
    origSpecial: specialTables(orig, overrides, true),
    patchedSpecial: specialTables(patched, overrides),
    markers: findMarkers(patchedObj),
    options,
  };
}

export function noDecisions(): Decisions {
  return { changed: new Set(), isNew: new Set(), reasons: new Map(), ignored: [], refused: [] };
}

/** Adds a reason to the ones `unit` already has. */
export function addReason(d: Decisions, unit: FuncUnit, why: string): void {
  d.reasons.set(unit, [...(d.reasons.get(unit) ?? []), why]);
}
