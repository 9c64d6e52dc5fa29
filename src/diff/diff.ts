// SPDX-License-Identifier: GPL-2.0-only
// The differ's pipeline on two indexed objects: correlate, compare functions and data, attach
// child parts and special-section entries, find what the included functions reference, and
// decide the verdict. Pure: no files, no kernel tree.

import { checkSpecialEntries } from "./carry.ts";
import { compareFunctions, compareObjects, sameCodeShape } from "./compare.ts";
import { correlate } from "./correlate.ts";
import { attributeInlining, explainChange } from "./explain.ts";
import { exportWarnings } from "./exports.ts";
import { makeSide, type Side } from "./fingerprint.ts";
import { findMarkers, isMarkerSection, isMarkerSymbol } from "./markers.ts";
import { type DiffObject, type DSection, type DSymbol, relocsIn } from "./model.ts";
import { planNoFentry } from "./no-fentry.ts";
import {
  isConstantPool,
  isIgnoredSection,
  isInitOrExitSection,
  isSpecialStatic,
  isStringSection,
  isText,
  isWritable,
  STB_LOCAL,
  STT_FUNC,
  STT_OBJECT,
  sourceNameOf,
} from "./predicates.ts";
import { resolveTarget } from "./resolve.ts";
import { type Entry, specialTables } from "./special-sections.ts";
import type {
  DiffOptions,
  DiffResult,
  FunctionDiff,
  IgnoredChange,
  Refusal,
  SymbolReference,
} from "./types.ts";
import { type FuncUnit, functionUnits, rootOf } from "./units.ts";
import { changedOpsTable, initCode, noFentry, orphanChange, orphanConstant, unsafeData } from "./verdicts.ts";

export function diffViews(
  origObj: DiffObject,
  patchedObj: DiffObject,
  options: DiffOptions = {},
): DiffResult {
  const orig = functionUnits(origObj);
  const patched = functionUnits(patchedObj);
  const corr = correlate(orig, patched);
  const origSide: Side = makeSide(origObj, (s) => (corr.toPatched.has(s) ? s.name : `gone:${s.name}`));
  const patchedSide: Side = makeSide(patchedObj, (s) => {
    const o = corr.toOrig.get(s);
    return o ? o.name : `new:${s.name}`;
  });
  const overrides = options.entrySizes ?? {};
  const origSpecial = specialTables(orig, overrides, true);
  const patchedSpecial = specialTables(patched, overrides);
  const ignored: IgnoredChange[] = [];
  const refused: Refusal[] = [];
  const warnings = [...corr.warnings, ...exportWarnings(origObj, patchedObj)];
  const sourceFunctions = new Set(options.sourceFunctions ?? []);
  const ctx = { orig, patched, origSide, patchedSide, corr, sourceFunctions };
  const markers = findMarkers(patchedObj);

  // 1. Functions, compared pairwise.
  const reasons = new Map<FuncUnit, string[]>();
  const changed = new Set<FuncUnit>();
  const isNew = new Set<FuncUnit>();
  let compared = 0;
  const changedPairs: Array<{ ou: FuncUnit; pu: FuncUnit }> = [];
  for (const pu of patched.funcs) {
    const twin = corr.toOrig.get(pu.sym);
    const ou = twin ? orig.funcBySym.get(twin) : undefined;
    if (!ou) {
      isNew.add(pu);
      continue;
    }
    compared++;
    const result = compareFunctions(
      origSide,
      patchedSide,
      ou,
      pu,
      origSpecial.byFunc.get(ou) ?? [],
      patchedSpecial.byFunc.get(pu) ?? [],
      // A function whose source the fix edits gets no benefit of the doubt: a constant there
      // that equals a moved line number may be a real change.
      sourceFunctions.has(sourceNameOf(rootOf(pu).sym.name)) ? undefined : options.movedLine,
    );
    if (
      result.kind !== "same" &&
      (markers.ignoredFunctions.has(pu.sym) || markers.ignoredSections.has(pu.sec.name))
    ) {
      ignored.push({
        name: pu.sym.name,
        reason: "changed, but the patch author marked it to be ignored (KPATCH_IGNORE_FUNCTION/SECTION)",
      });
      continue;
    }
    if (result.kind === "line-only") ignored.push({ name: pu.sym.name, reason: result.detail });
    if (result.kind === "changed") {
      changed.add(pu);
      changedPairs.push({ ou, pu });
      reasons.set(pu, explainChange(ctx, ou, pu, result.detail));
    }
  }

  const explainedBy = attributeInlining(ctx, changedPairs, reasons);

  // 2. Data: writable data must not change; changed constants travel with their users.
  const users = referencingFunctions(patched.funcs);
  const changedConsts = new Set<DSymbol>();
  for (const p of patchedObj.symbols) {
    if (p.type !== STT_OBJECT || !p.section || isMarkerSymbol(p) || isMarkerSection(p.section.name)) continue;
    // .modinfo strings (MODULE_FIRMWARE, MODULE_ALIAS, ...) are module metadata, not live data.
    if (isIgnoredSection(p.section.name)) continue;
    if (markers.ignoredSections.has(p.section.name)) continue;
    const o = corr.toOrig.get(p);
    if (!o) continue;
    const result = compareObjects(origSide, patchedSide, o, p);
    if (result.kind !== "changed") continue;
    if (isWritable(p.section) || isWritable(o.section)) {
      refused.push(unsafeData(o.name, result.detail, p.section.name));
      continue;
    }
    if (holdsFunctionPointers(p)) {
      refused.push(changedOpsTable(o.name, result.detail, p.section.name));
      continue;
    }
    changedConsts.add(p);
    const using = users.get(p) ?? [];
    if (using.length === 0) refused.push(orphanConstant(o.name, result.detail));
    for (const u of using) {
      const root = rootOf(u);
      if (isNew.has(root)) continue;
      changed.add(root);
      const list = reasons.get(root) ?? [];
      list.push(`uses changed constant ${o.name}`);
      reasons.set(root, list);
    }
  }

  // 3. Child parts: a changed part that ftrace cannot redirect makes its parent change.
  for (const u of [...changed]) {
    if (!u.parent) continue;
    const root = rootOf(u);
    if (!u.hasFentry || changed.has(root)) {
      changed.delete(u);
      if (!isNew.has(root)) {
        changed.add(root);
        const list = reasons.get(root) ?? [];
        list.push(`its part ${u.sym.name} changed`);
        reasons.set(root, list);
      }
    }
  }
  for (const u of [...isNew])
    if (u.parent && !isNew.has(rootOf(u))) {
      // a new .cold/.part of an existing function only appears because the parent changed
      isNew.delete(u);
      const root = rootOf(u);
      if (!changed.has(root)) {
        changed.add(root);
        reasons.set(root, [...(reasons.get(root) ?? []), `has a new part ${u.sym.name}`]);
      }
    }

  // 4. Refusals on changed functions themselves.
  const noFentryChanged: FuncUnit[] = [];
  for (const u of [...changed]) {
    const ou = orig.funcBySym.get(corr.toOrig.get(u.sym) as DSymbol);
    const cause = explainedBy.get(u);
    if (
      isInitOrExitSection(u.sec.name) &&
      cause &&
      changed.has(cause) &&
      !isInitOrExitSection(cause.sec.name) &&
      ou &&
      sameCodeShape(ou, u)
    ) {
      // The init code is the same but for what it takes from an inlined copy of a function
      // the patch replaces (e.g. that function's changed message).
      changed.delete(u);
      ignored.push({
        name: u.sym.name,
        reason: `__init/__exit code changed only because it inlines ${cause.sym.name}, which the patch replaces; it already ran`,
      });
      continue;
    }
    if (isInitOrExitSection(u.sec.name)) refused.push(initCode(u.sym.name, u.sec.name));
    else if (ou && !ou.hasFentry) noFentryChanged.push(u);
  }
  // A changed local function without __fentry__ travels as a new copy; its callers are replaced.
  const plan = planNoFentry(patchedObj, noFentryChanged, changed, users);
  for (const u of plan.refused) refused.push(noFentry(u.sym.name));
  for (const [u, why] of plan.carried) {
    changed.delete(u);
    isNew.add(u);
    reasons.set(u, [why]);
  }
  for (const [u, why] of plan.callers) {
    changed.add(u);
    reasons.set(u, [...(reasons.get(u) ?? []), why]);
  }
  refused.push(...orphanSections(origObj, patchedObj, origSide, patchedSide));

  // 5. Inclusion: changed functions, their parts, and the new functions and data they reach.
  const included = new Set<FuncUnit>();
  const includeFunc = (u: FuncUnit) => {
    if (included.has(u)) return;
    included.add(u);
    for (const c of u.children) includeFunc(c);
  };
  for (const u of changed) includeFunc(u);
  for (const u of plan.carried.keys()) includeFunc(u);
  for (const u of isNew)
    if ((u.sym.bind !== STB_LOCAL || markers.callbacks.has(u.sym)) && !u.parent && !isMarkerSymbol(u.sym))
      includeFunc(u);
  const refs = collectReferences(
    ctx.patched.funcBySym,
    corr.toOrig,
    included,
    isNew,
    changedConsts,
    patchedSpecial.byFunc,
  );

  // 6. Result.
  const functions: FunctionDiff[] = [];
  const entriesOf = (u: FuncUnit): Entry[] =>
    [u, ...u.children].flatMap((x) => patchedSpecial.byFunc.get(x) ?? []);
  for (const u of patched.funcs) {
    const status = changed.has(u) ? "changed" : isNew.has(u) && included.has(u) ? "new" : undefined;
    // Child parts are listed under their parent unless they are patched on their own.
    if (
      !status ||
      (u.parent && included.has(rootOf(u)) && rootOf(u) !== u && !(changed.has(u) && !changed.has(rootOf(u))))
    )
      continue;
    const twin = corr.toOrig.get(u.sym);
    functions.push({
      name: u.sym.name,
      ...(twin && twin.name !== u.sym.name ? { origName: twin.name } : {}),
      status,
      reasons: status === "new" ? (reasons.get(u) ?? ["new function"]) : (reasons.get(u) ?? ["code changed"]),
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
  for (const ou of orig.funcs) {
    if (ou.parent || corr.toPatched.has(ou.sym)) continue;
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
  refused.push(...checkSpecialEntries(included, patchedSpecial, options));

  const anyPatch = functions.some((f) => f.status === "changed" || f.status === "new");
  const verdict = refused.length > 0 ? "refused" : anyPatch ? "patchable" : "no-change";
  return {
    verdict,
    functions,
    references: refs,
    staticLocals: corr.staticLocals,
    ignored,
    refused,
    warnings,
    stats: { origFunctions: orig.funcs.length, patchedFunctions: patched.funcs.length, compared },
  };
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

/** patched object symbol -> functions whose code references it */
function referencingFunctions(funcs: FuncUnit[]): Map<DSymbol, FuncUnit[]> {
  const users = new Map<DSymbol, FuncUnit[]>();
  for (const u of funcs) {
    for (const r of u.relocs) {
      const t = resolveTarget(u.sec, r);
      if (t.kind !== "symbol") continue;
      const list = users.get(t.sym);
      if (!list) users.set(t.sym, [u]);
      else if (list[list.length - 1] !== u) list.push(u);
    }
  }
  return users;
}

/** Every symbol the included functions reach, classified for the module generator. */
function collectReferences(
  funcBySym: Map<DSymbol, FuncUnit>,
  toOrig: Map<DSymbol, DSymbol>,
  included: Set<FuncUnit>,
  isNew: Set<FuncUnit>,
  changedConst: Set<DSymbol>,
  entries: Map<FuncUnit, Entry[]>,
): SymbolReference[] {
  const refs = new Map<string, SymbolReference>();
  const add = (key: string, ref: Omit<SymbolReference, "usedBy">, user: string) => {
    const r = refs.get(key);
    if (r) {
      if (!r.usedBy.includes(user)) r.usedBy.push(user);
    } else refs.set(key, { ...ref, usedBy: [user] });
  };
  const seenData = new Set<DSymbol>();
  const queue = [...included];
  const visitData = (sym: DSymbol, user: string) => {
    // New data can point to new functions (an ops table) or to other new data.
    if (seenData.has(sym) || !sym.section) return;
    seenData.add(sym);
    for (const r of sym.section.relocs) {
      if (r.offset < sym.value || r.offset >= sym.value + sym.size) continue;
      classify(sym.section, resolveTarget(sym.section, r), user);
    }
  };
  const classify = (from: DSection, t: ReturnType<typeof resolveTarget>, user: string) => {
    if (t.kind === "none") return;
    if (t.kind === "external")
      return add(`ext:${t.name}`, { name: t.name, kind: "global", type: "notype" }, user);
    if (t.kind === "anon") {
      const kind =
        isStringSection(t.sec) || isConstantPool(t.sec) || !isWritable(t.sec) ? "new-rodata" : "new-data";
      if (isText(t.sec) && !isText(from) && !/^\.(altinstr_replacement|fixup|altinstr_aux)$/.test(t.sec.name))
        return;
      return add(`sec:${t.sec.name}`, { name: t.sec.name, kind, type: "section" }, user);
    }
    const sym = t.sym;
    const type = sym.type === STT_FUNC ? "func" : "object";
    const unit = funcBySym.get(sym);
    if (unit) {
      if (included.has(unit))
        return add(`sym:${sym.index}`, { name: sym.name, kind: "included", type }, user);
      if (isNew.has(unit)) {
        included.add(unit);
        queue.push(unit);
        for (const c of unit.children) {
          if (included.has(c)) continue;
          included.add(c);
          queue.push(c);
        }
        return add(`sym:${sym.index}`, { name: sym.name, kind: "included", type }, user);
      }
    }
    const twin = toOrig.get(sym);
    if (
      twin &&
      !isSpecialStatic(sym) &&
      !(sym.type === STT_OBJECT && !isWritable(sym.section) && changedConst.has(sym))
    ) {
      return add(
        `sym:${sym.index}`,
        { name: sym.name, origName: twin.name, kind: sym.bind === STB_LOCAL ? "local" : "global", type },
        user,
      );
    }
    add(
      `sym:${sym.index}`,
      { name: sym.name, kind: isWritable(sym.section) ? "new-data" : "new-rodata", type },
      user,
    );
    visitData(sym, user);
  };
  for (let i = 0; i < queue.length; i++) {
    const u = queue[i] as FuncUnit;
    const user = rootOf(u).sym.name;
    for (const r of u.relocs) classify(u.sec, resolveTarget(u.sec, r), user);
    // What the carried special-section entries point to (static keys, bug file names,
    // alternative replacements, fixups), except the function's own code.
    for (const e of entries.get(u) ?? []) {
      for (const r of relocsIn(e.sec, e.offset, e.offset + e.size)) {
        const t = resolveTarget(e.sec, r);
        if (t.kind === "symbol" && funcBySym.get(t.sym) === u) continue;
        if (
          t.kind === "anon" &&
          isText(t.sec) &&
          t.sec.name !== ".altinstr_replacement" &&
          t.sec.name !== ".fixup" &&
          t.sec.name !== ".altinstr_aux"
        )
          continue;
        classify(e.sec, t, user);
      }
    }
  }
  return [...refs.values()];
}

/** Executable sections without any function symbol (assembly, unnamed code) that changed. */
function orphanSections(
  origObj: DiffObject,
  patchedObj: DiffObject,
  origSide: Side,
  patchedSide: Side,
): Refusal[] {
  const out: Refusal[] = [];
  for (const p of patchedObj.sections) {
    if (!isText(p) || p.symbols.some((s) => s.type === STT_FUNC)) continue;
    if (
      p.name === ".altinstr_replacement" ||
      p.name === ".fixup" ||
      p.name === ".altinstr_aux" ||
      p.name.startsWith(".text..refcount") ||
      p.name === ".static_call.text" ||
      (p.name === ".noinstr.text" && p.size === 0)
    )
      continue;
    const o = origObj.sectionByName.get(p.name);
    if (!o) {
      if (p.size > 0) out.push(orphanChange(p.name));
      continue;
    }
    const same =
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
      });
    if (!same) out.push(orphanChange(p.name));
  }
  return out;
}

function keyOf(side: Side, sec: DSection, r: DSection["relocs"][number]): string {
  const t = resolveTarget(sec, r);
  if (t.kind === "symbol") return `${side.canonical(t.sym)}+${t.delta}`;
  if (t.kind === "external") return `${t.name}+${t.delta}`;
  if (t.kind === "anon") return `${t.sec.name}+${t.raw}`;
  return "-";
}
