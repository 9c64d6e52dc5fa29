// SPDX-License-Identifier: GPL-2.0-only
// From each changing unit's diff to its patch object: match the unit's pristine code against
// the running kernel, name each redirected function's target (with its sympos), extract the
// included functions and what they use as one relocatable object per unit, and collect what
// the build report says about them. The caller links the objects into the module.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DiffResult, FunctionDiff } from "../diff/index.ts";
import { type ElfObject, readElf, STT, writeElf } from "../elf/index.ts";
import { UserError } from "../errors/user-error.ts";
import type { UnitBuild } from "../kernel/build-types.ts";
import { targetFamily } from "../kernel/family.ts";
import { matchUnit, type UnitMatch } from "../kernel/match.ts";
import type { Symvers } from "../kernel/symvers.ts";
import type { TargetPaths } from "../kernel/target-layout.ts";
import { extractPatchObject } from "./extract.ts";
import { makePolicy } from "./policy.ts";
import { sectionTableFor } from "./section-table.ts";
import type { CallbackKind, IncludedFunction, KernelTarget, PatchedObject } from "./types.ts";

/** The callbacks include/hotpatch/klp-helpers.h lets a fix define, by function name. */
export const CALLBACK_NAMES: Record<string, CallbackKind> = {
  __hotpatch_pre_patch: "pre_patch",
  __hotpatch_post_patch: "post_patch",
  __hotpatch_pre_unpatch: "pre_unpatch",
  __hotpatch_post_unpatch: "post_unpatch",
};

export interface UnitDiff {
  unit: UnitBuild;
  diff: DiffResult;
  /** Callback functions the fix defines (hotpatch/klp-helpers.h), by patched name. */
  callbacks: string[];
}

/** Functions named like the helpers header's callbacks. The differ lists only new functions
 * that changed code reaches; callbacks are reached from the stub, so they are looked up here. */
export function callbackFunctions(patched: ElfObject): string[] {
  return patched.symbols
    .filter((s) => s.type === STT.FUNC && s.definedIn && CALLBACK_NAMES[s.name] !== undefined)
    .map((s) => s.name);
}

/** The functions of a diff that go into the patch: changed and new ones. */
export function included(diff: DiffResult): FunctionDiff[] {
  return diff.functions.filter((f) => f.status === "changed" || f.status === "new");
}

/** Every patched name that goes in: included functions and their children. */
function includedNames(diff: DiffResult): string[] {
  const names = new Set<string>();
  for (const f of included(diff)) {
    names.add(f.name);
    for (const c of f.children) names.add(c);
  }
  return [...names];
}

/** Everything the patch objects of a build add up to. */
export interface PatchAssembly {
  /** The klp objects (vmlinux, modules) with their functions and callbacks. */
  objects: PatchedObject[];
  /** One relocatable object file per changing unit, in unit order. */
  patchObjects: string[];
  functions: IncludedFunction[];
  kernelReferences: Array<KernelTarget & { unit: string }>;
  notes: string[];
  warnings: string[];
  /** Symbol namespaces the patch imports (MODULE_IMPORT_NS). */
  namespaces: string[];
  /** Which klp object each section's code belongs to (names two objects share are left out). */
  sectionObjects: Map<string, string>;
}

interface AssemblyContext {
  paths: TargetPaths;
  symvers: Symvers;
  outDir: string;
  assembly: PatchAssembly;
  objects: Map<string, PatchedObject>;
  namespaces: Set<string>;
  /** Section name -> klp object, "" when two objects use the name. */
  sectionOwners: Map<string, string>;
  /** New non-static functions one unit defines and others call (src/build/cross-unit.ts). */
  patchGlobals: ReadonlyMap<string, PatchGlobal>;
}

/** A new function of one unit that other units of the patch call, exported under an alias. */
export interface PatchGlobal {
  name: string;
  alias: string;
  unitObject: string;
  klpObject: string;
}

/** Builds the patch object of every changing unit into `outDir`. */
export async function assemblePatch(
  paths: TargetPaths,
  symvers: Symvers,
  changing: UnitDiff[],
  outDir: string,
  patchGlobals: ReadonlyMap<string, PatchGlobal> = new Map(),
): Promise<PatchAssembly> {
  mkdirSync(outDir, { recursive: true });
  const ctx: AssemblyContext = {
    paths,
    symvers,
    outDir,
    assembly: {
      objects: [],
      patchObjects: [],
      functions: [],
      kernelReferences: [],
      notes: [],
      warnings: [],
      namespaces: [],
      sectionObjects: new Map(),
    },
    objects: new Map(),
    namespaces: new Set(),
    sectionOwners: new Map(),
    patchGlobals,
  };
  for (const [index, unitDiff] of changing.entries()) await assembleUnit(ctx, index, unitDiff);
  const { assembly } = ctx;
  assembly.objects = [...ctx.objects.values()];
  assembly.namespaces = [...ctx.namespaces].sort();
  assembly.sectionObjects = new Map([...ctx.sectionOwners].filter(([, owner]) => owner !== ""));
  return assembly;
}

async function assembleUnit(ctx: AssemblyContext, index: number, { unit, diff, callbacks }: UnitDiff) {
  const obj = ctx.objects.get(unit.klpObject) ?? { name: unit.klpObject, functions: [], callbacks: {} };
  ctx.objects.set(unit.klpObject, obj);
  const redirected = included(diff).filter((f) => f.status === "changed" && !f.parent);
  const match = await matchUnit(
    ctx.paths,
    unit,
    redirected.map((f) => f.origName ?? f.name),
  );
  const shared = [...ctx.patchGlobals.values()];
  const exported = [
    ...redirectFunctions(ctx, obj, unit, index, redirected, match),
    ...registerCallbacks(ctx, obj, unit, index, callbacks),
    ...shared.filter((g) => g.unitObject === unit.object).map((g) => ({ name: g.name, alias: g.alias })),
  ];
  reportCarriedFunctions(ctx, unit, diff, callbacks);
  const policy = makePolicy({
    diff,
    unit,
    match,
    symvers: ctx.symvers,
    namespaces: ctx.namespaces,
    otherUnits: new Map(shared.filter((g) => g.unitObject !== unit.object).map((g) => [g.name, g.alias])),
  });
  const result = extractPatchObject({
    object: readElf(readFileSync(unit.patchedObject)),
    functions: [...new Set([...includedNames(diff), ...callbacks])],
    exported,
    policy,
    // Per kernel family (6.1 / 6.12): which special sections come along (src/klp/section-table.ts).
    sections: sectionTableFor(targetFamily(ctx.paths)),
  });
  for (const sec of result.object.sections) {
    const owner = ctx.sectionOwners.get(sec.name);
    ctx.sectionOwners.set(sec.name, owner === undefined || owner === unit.klpObject ? unit.klpObject : "");
  }
  const file = join(ctx.outDir, `patch_${index}.o`);
  writeFileSync(file, writeElf(result.object));
  const { assembly } = ctx;
  assembly.patchObjects.push(file);
  for (const t of result.kernelRefs) assembly.kernelReferences.push({ ...t, unit: unit.source });
  assembly.notes.push(...result.notes.map((n) => `${unit.source}: ${n}`));
  assembly.warnings.push(...diff.warnings.map((w) => `${unit.source}: ${w}`));
  if (
    unit.klpObject !== "vmlinux" &&
    // Kernels with clear_relocate_add (6.3+, e.g. Debian's 6.12) reload such a module fine.
    !targetFamily(ctx.paths).klpRelocationsClearedOnUnload &&
    result.kernelRefs.some((t) => t.kind === "klp" && t.objName === unit.klpObject)
  ) {
    assembly.warnings.push(
      `${unit.source}: the patch holds livepatch relocations for module ${unit.klpObject}; on Linux 6.1, removing and reloading ${unit.klpObject} while this patch is loaded fails (fixed upstream in 6.3): unload the patch first.`,
    );
  }
}

/**
 * Each changed function is redirected to its new copy: the running kernel's function (found
 * by the run-pre match, with its sympos) gets the klp_func entry, the new copy an alias the
 * stub refers to. Returns the aliases to export from the patch object.
 */
function redirectFunctions(
  ctx: AssemblyContext,
  obj: PatchedObject,
  unit: UnitBuild,
  index: number,
  redirected: FunctionDiff[],
  match: UnitMatch,
): Array<{ name: string; alias: string }> {
  return redirected.map((f, i) => {
    const oldName = f.origName ?? f.name;
    const ref = match.functions.get(oldName) ?? match.resolve(oldName);
    if (!ref) throw new UserError(`${unit.source}: function '${oldName}' is not in the running kernel.`);
    const alias = `__hotpatch_u${index}_f${i}`;
    obj.functions.push({ oldName: ref.name, sympos: ref.sympos, alias });
    ctx.assembly.functions.push({
      name: oldName,
      object: unit.klpObject,
      unit: unit.source,
      status: "changed",
      reasons: f.reasons,
      sympos: ref.sympos,
    });
    return { name: f.name, alias };
  });
}

/** The fix's callbacks become the klp object's callbacks, through aliases like functions. */
function registerCallbacks(
  ctx: AssemblyContext,
  obj: PatchedObject,
  unit: UnitBuild,
  index: number,
  callbacks: string[],
): Array<{ name: string; alias: string }> {
  return callbacks.map((name) => {
    const kind = CALLBACK_NAMES[name] as CallbackKind;
    const alias = `__hotpatch_u${index}_${kind}`;
    obj.callbacks[kind] = alias;
    ctx.assembly.functions.push({
      name,
      object: unit.klpObject,
      unit: unit.source,
      status: "callback",
      reasons: [`${kind} callback`],
    });
    return { name, alias };
  });
}

/** New functions and children (.cold, .part) travel in the patch without a klp_func entry. */
function reportCarriedFunctions(
  ctx: AssemblyContext,
  unit: UnitBuild,
  diff: DiffResult,
  callbacks: string[],
) {
  const entry = (name: string, status: "new" | "child", reasons: string[]) =>
    ctx.assembly.functions.push({ name, object: unit.klpObject, unit: unit.source, status, reasons });
  for (const f of included(diff)) {
    if (callbacks.includes(f.name)) continue;
    if (f.status === "new") entry(f.name, f.parent ? "child" : "new", f.reasons);
    else if (f.parent) entry(f.name, "child", [`part of ${f.parent}`, ...f.reasons]);
  }
}
