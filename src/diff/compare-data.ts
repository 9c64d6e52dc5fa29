// SPDX-License-Identifier: GPL-2.0-only
// Stage 2 of diffViews: data objects against their twins. Writable data must not change (the
// running kernel's copy is live state); changed constants travel with the functions using them.
import { compareObjects } from "./compare.ts";
import { addReason, type Decisions, type DiffContext } from "./context.ts";
import { isMarkerSection, isMarkerSymbol } from "./markers.ts";
import type { DSection, DSymbol } from "./model.ts";
import { isIgnoredSection, isText, isWritable, STB_LOCAL, STT_FUNC, STT_OBJECT } from "./predicates.ts";
import { resolveTarget } from "./resolve.ts";
import type { Refusal } from "./types.ts";
import { type FuncUnit, rootOf } from "./units.ts";
import { changedOpsTable, globalConstant, orphanConstant, unsafeData } from "./verdicts.ts";

/** Refuses changed data that cannot be replaced; returns the changed constants. */
export function compareData(ctx: DiffContext, d: Decisions, users: Map<DSymbol, FuncUnit[]>): Set<DSymbol> {
  const changedConsts = new Set<DSymbol>();
  for (const p of ctx.patchedObj.symbols) {
    if (!isComparedData(ctx, p)) continue;
    const o = ctx.corr.toOrig.get(p);
    if (!o) continue;
    const result = compareObjects(ctx.origSide, ctx.patchedSide, o, p);
    if (result.kind !== "changed") continue;
    const refusal = refuseDataChange(o, p, result.detail);
    if (refusal) {
      d.refused.push(refusal);
      continue;
    }
    changedConsts.add(p);
    const using = users.get(p) ?? [];
    if (using.length === 0) d.refused.push(orphanConstant(o.name, result.detail));
    for (const u of using) changeForConstant(d, rootOf(u), o.name);
  }
  return changedConsts;
}

/** A data object of the patch itself, in a section the running kernel uses. */
function isComparedData(ctx: DiffContext, p: DSymbol): p is DSymbol & { section: DSection } {
  if (p.type !== STT_OBJECT || !p.section || isMarkerSymbol(p) || isMarkerSection(p.section.name))
    return false;
  // .modinfo strings (MODULE_FIRMWARE, MODULE_ALIAS, ...) are module metadata, not live data.
  if (isIgnoredSection(p.section.name)) return false;
  return !ctx.markers.ignoredSections.has(p.section.name);
}

/** Writable data and ops tables: a new copy would not reach what the kernel already holds. */
function refuseDataChange(
  o: DSymbol,
  p: DSymbol & { section: DSection },
  detail: string,
): Refusal | undefined {
  if (isWritable(p.section) || isWritable(o.section)) return unsafeData(o.name, detail, p.section.name);
  if (holdsFunctionPointers(p)) return changedOpsTable(o.name, detail, p.section.name);
  // Other units reach a global table through their own relocations, never through this patch.
  if (o.bind !== STB_LOCAL || p.bind !== STB_LOCAL) return globalConstant(o.name, detail);
  return undefined;
}

/** A function using a changed constant changes too (new functions carry the new one anyway). */
function changeForConstant(d: Decisions, root: FuncUnit, constant: string): void {
  if (d.isNew.has(root)) return;
  d.changed.add(root);
  addReason(d, root, `uses changed constant ${constant}`);
}

/**
 * A read-only object with function pointers: an ops table (super_operations, file_operations,
 * ...). Its address is stored in objects the running kernel already holds (sb->s_op, f_op), so
 * a new copy would reach only objects created after the patch.
 */
function holdsFunctionPointers(sym: DSymbol): boolean {
  const sec = sym.section;
  if (!sec) return false;
  for (const r of sec.relocs) {
    if (r.offset < sym.value || r.offset >= sym.value + sym.size) continue;
    const t = resolveTarget(sec, r);
    if (t.kind === "symbol" && t.sym.type === STT_FUNC) return true;
    if (t.kind === "anon" && isText(t.sec)) return true;
  }
  return false;
}
