// SPDX-License-Identifier: GPL-2.0-only
// Stage 6 of diffViews: the result's list of functions. Changed and new ones in the patched
// object's order (child parts under their parent unless patched on their own), then the
// original's functions that are gone. Unchanged functions are left out.
import type { Decisions, DiffContext } from "./context.ts";
import type { Entry } from "./special-sections.ts";
import type { FunctionDiff, FunctionStatus } from "./types.ts";
import { type FuncUnit, rootOf } from "./units.ts";

export function listFunctions(ctx: DiffContext, d: Decisions, included: Set<FuncUnit>): FunctionDiff[] {
  return [...patchedFunctions(ctx, d, included), ...removedFunctions(ctx)];
}

function patchedFunctions(ctx: DiffContext, d: Decisions, included: Set<FuncUnit>): FunctionDiff[] {
  const functions: FunctionDiff[] = [];
  const entriesOf = (u: FuncUnit): Entry[] =>
    [u, ...u.children].flatMap((x) => ctx.patchedSpecial.byFunc.get(x) ?? []);
  for (const u of ctx.patched.funcs) {
    const status = statusOf(d, included, u);
    if (!status || listedUnderParent(d, included, u)) continue;
    const twin = ctx.corr.toOrig.get(u.sym);
    functions.push({
      name: u.sym.name,
      ...(twin && twin.name !== u.sym.name ? { origName: twin.name } : {}),
      status,
      reasons:
        status === "new" ? (d.reasons.get(u) ?? ["new function"]) : (d.reasons.get(u) ?? ["code changed"]),
      symbolIndex: u.sym.index,
      section: u.sec.name,
      children: u.children.map((c) => c.sym.name),
      ...(u.parent ? { parent: u.parent.sym.name } : {}),
      hasFentry: u.hasFentry,
      specialEntries: entriesOf(u).map((e) => ({
        section: e.sec.name,
        offset: e.offset,
        size: e.size,
        function: u.sym.name,
      })),
    });
  }
  return functions;
}

/** "changed", "new" (only when the patch carries it), or nothing to report. */
function statusOf(d: Decisions, included: Set<FuncUnit>, u: FuncUnit): FunctionStatus | undefined {
  return d.changed.has(u) ? "changed" : d.isNew.has(u) && included.has(u) ? "new" : undefined;
}

/** Child parts are listed under their parent unless they are patched on their own. */
function listedUnderParent(d: Decisions, included: Set<FuncUnit>, u: FuncUnit): boolean {
  const root = rootOf(u);
  return (
    u.parent !== undefined && included.has(root) && root !== u && !(d.changed.has(u) && !d.changed.has(root))
  );
}

function removedFunctions(ctx: DiffContext): FunctionDiff[] {
  const functions: FunctionDiff[] = [];
  for (const ou of ctx.orig.funcs) {
    if (ou.parent || ctx.corr.toPatched.has(ou.sym)) continue;
    functions.push({
      name: ou.sym.name,
      status: "removed",
      reasons: ["no longer in the object (removed or inlined)"],
      symbolIndex: ou.sym.index,
      section: ou.sec.name,
      children: [],
      hasFentry: ou.hasFentry,
      specialEntries: [],
    });
  }
  return functions;
}
