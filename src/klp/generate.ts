// SPDX-License-Identifier: GPL-2.0-only
// The build pipeline behind `hotpatch build`: fix -> affected units compiled twice (the build
// front end) -> object diff per unit -> refusals stop the build -> run-pre matching and
// symbol resolution -> one patch object per unit -> stub + kbuild -> klp relocations -> .ko.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type DiffResult, diffObjects, type FunctionDiff } from "../diff/index.ts";
import { type ElfObject, readElf, STT, writeElf } from "../elf/index.ts";
import { ExitCode, UserError } from "../errors/user-error.ts";
import { prepareBuildInputs } from "../kernel/build-inputs.ts";
import type { UnitBuild } from "../kernel/build-types.ts";
import { headerLayoutChanges } from "../kernel/header-scope.ts";
import { matchUnit } from "../kernel/match.ts";
import { movedLinesOf } from "../kernel/moved-lines.ts";
import { parseSymvers } from "../kernel/symvers.ts";
import type { TargetPaths } from "../kernel/target-layout.ts";
import { extractPatchObject } from "./extract.ts";
import { fixFunctions } from "./fix-functions.ts";
import { fixWithHelpers } from "./helpers-header.ts";
import { packageModule, type SignOptions } from "./package.ts";
import { makePolicy } from "./policy.ts";
import { definitionLine } from "./source-line.ts";
import type { CallbackKind, IncludedFunction, KernelTarget, PatchedObject } from "./types.ts";

export interface BuildRequest {
  paths: TargetPaths;
  fixPath: string;
  name: string;
  replace: boolean;
  outPath: string;
  sign?: SignOptions;
  /** Times each step; `step` from src/util/progress.ts in the CLI. */
  step: <T>(label: string, work: () => Promise<T>) => Promise<T>;
}

export interface BuildRefusalItem {
  unit: string;
  /** `file:line` of the symbol's definition in the fixed source, when found. */
  where?: string;
  name: string;
  kind: string;
  reason: string;
  suggestion?: string;
}

export interface BuildReport {
  module: string;
  name: string;
  replace: boolean;
  objects: string[];
  functions: IncludedFunction[];
  /** Functions that differ between the builds but not in what they do (a moved __LINE__). */
  ignored: Array<{ unit: string; name: string; reason: string }>;
  kernelReferences: Array<KernelTarget & { unit: string }>;
  klpRelocationSections: Array<{ name: string; relocations: number }>;
  notes: string[];
  warnings: string[];
  signed: boolean;
  steps: Array<{ name: string; ms: number }>;
}

/** A build stopped by refusals: exit code 2, one line per refusal. */
export class BuildRefusedError extends UserError {
  constructor(readonly refusals: BuildRefusalItem[]) {
    super(
      `the fix cannot be live-patched safely (${refusals.length} refusal${refusals.length === 1 ? "" : "s"}).`,
      refusals.map(
        (r) =>
          `${r.where ?? r.unit}: ${r.name}: ${r.kind}: ${r.reason}${r.suggestion ? ` (${r.suggestion})` : ""}`,
      ),
      ExitCode.REFUSED,
    );
  }
}

/** `source:line` of a symbol, from the fixed view when it still exists, else the pristine tree. */
function whereDefined(workDir: string, tree: string, source: string, symbol: string): string | undefined {
  for (const root of [join(workDir, "view"), tree]) {
    const line = definitionLine(join(root, source), symbol);
    if (line !== undefined) return `${source}:${line}`;
  }
  return undefined;
}

export const CALLBACK_NAMES: Record<string, CallbackKind> = {
  __hotpatch_pre_patch: "pre_patch",
  __hotpatch_post_patch: "post_patch",
  __hotpatch_pre_unpatch: "pre_unpatch",
  __hotpatch_post_unpatch: "post_unpatch",
};

interface UnitDiff {
  unit: UnitBuild;
  diff: DiffResult;
  /** Callback functions the fix defines (hotpatch/klp-helpers.h), by patched name. */
  callbacks: string[];
}

/** Functions named like the helpers header's callbacks. The differ lists only new functions
 * that changed code reaches; callbacks are reached from the stub, so they are looked up here. */
function callbackFunctions(patched: ElfObject): string[] {
  return patched.symbols
    .filter((s) => s.type === STT.FUNC && s.definedIn && CALLBACK_NAMES[s.name] !== undefined)
    .map((s) => s.name);
}

function included(diff: DiffResult): FunctionDiff[] {
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

export async function buildLivepatch(req: BuildRequest): Promise<BuildReport> {
  const steps: Array<{ name: string; ms: number }> = [];
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await req.step(name, work);
    } finally {
      steps.push({ name, ms: Date.now() - t0 });
    }
  };
  // A fix that changes a struct's layout (in a header or a C file) is refused: the object diff
  // sees only the code using the struct, not the instances already in memory. Reported with
  // the front end's and the differ's refusals, which say what else is wrong.
  const layoutRefusals: BuildRefusalItem[] = headerLayoutChanges(
    req.paths.tree,
    readFileSync(req.fixPath, "utf8"),
  ).map(({ file, type }) => ({
    unit: file,
    name: type,
    kind: "unsafe-data",
    reason: `the fix changes the layout of ${type}, whose instances the running kernel has already allocated and uses with the old layout`,
    suggestion:
      "keep the struct unchanged and hold the new state in a shadow variable (include/hotpatch/klp-helpers.h)",
  }));
  const fix = fixWithHelpers(req.fixPath);
  const inputs = await timed("compile affected units (pristine and patched)", () =>
    prepareBuildInputs(req.paths, fix.path),
  ).finally(fix.cleanup);
  try {
    if (inputs.refusals.length > 0) {
      // A layout refusal says more about a header than "included by too many units".
      const laidOut = new Set(layoutRefusals.map((r) => r.unit));
      throw new BuildRefusedError([
        ...layoutRefusals,
        ...inputs.refusals
          .filter((r) => !laidOut.has(r.file) || !/included by/.test(r.reason))
          .map((r) => ({ unit: r.file, name: r.file, kind: "unsupported", reason: r.reason })),
      ]);
    }
    const sourceFunctions = fixFunctions(req.fixPath, req.paths.tree);
    const movedLine = movedLinesOf(readFileSync(req.fixPath, "utf8"), req.paths.tree);
    const diffs = await timed("diff objects", async () =>
      inputs.units.map((unit): UnitDiff => {
        const orig = readElf(readFileSync(unit.pristineObject));
        const patched = readElf(readFileSync(unit.patchedObject));
        return {
          unit,
          diff: diffObjects(orig, patched, {
            sourceFunctions,
            movedLine,
            // Jump labels and static calls on keys the module itself defines need the module kind.
            objectKind: unit.klpObject === "vmlinux" ? "vmlinux" : "module",
          }),
          callbacks: callbackFunctions(patched),
        };
      }),
    );
    const refusals = diffs.flatMap(({ unit, diff }) =>
      diff.refused.map((r) => ({
        unit: unit.source,
        where: whereDefined(inputs.workDir, req.paths.tree, unit.source, r.name),
        name: r.name,
        kind: r.kind,
        reason: r.reason,
        suggestion: r.suggestion,
      })),
    );
    if (refusals.length + layoutRefusals.length > 0)
      throw new BuildRefusedError([...layoutRefusals, ...refusals]);
    const changing = diffs.filter((d) => d.diff.verdict === "patchable" && included(d.diff).length > 0);
    for (const d of diffs) {
      if (d.callbacks.length > 0 && !changing.includes(d)) {
        throw new UserError(
          `${d.unit.source} defines livepatch callbacks but changes no function: callbacks run only for a unit that also changes code.`,
        );
      }
    }
    if (changing.length === 0) {
      throw new UserError(
        "The fix changes no function of the running kernel: there is nothing to live-patch.",
        // What the differ noticed anyway (an added or removed export) is worth knowing.
        diffs.flatMap(({ unit, diff }) => diff.warnings.map((w) => `${unit.source}: ${w}`)),
        ExitCode.NO_CHANGE,
      );
    }
    const symvers = parseSymvers(readFileSync(req.paths.symvers, "utf8"));
    const namespaces = new Set<string>();
    const objects = new Map<string, PatchedObject>();
    const functions: IncludedFunction[] = [];
    const kernelReferences: BuildReport["kernelReferences"] = [];
    const notes = [...inputs.notes];
    const warnings: string[] = [];
    const patchObjects: string[] = [];
    // Which klp object each section's code belongs to ("" when two objects use the name).
    const sectionOwners = new Map<string, string>();
    const outDir = join(inputs.workDir, "patch");
    mkdirSync(outDir, { recursive: true });
    await timed("match the running kernel and extract the patch", async () => {
      for (const [u, { unit, diff, callbacks }] of changing.entries()) {
        const obj = objects.get(unit.klpObject) ?? { name: unit.klpObject, functions: [], callbacks: {} };
        objects.set(unit.klpObject, obj);
        const redirected = included(diff).filter((f) => f.status === "changed" && !f.parent);
        const match = await matchUnit(
          req.paths,
          unit,
          redirected.map((f) => f.origName ?? f.name),
        );
        const exported: Array<{ name: string; alias: string }> = [];
        redirected.forEach((f, i) => {
          const oldName = f.origName ?? f.name;
          const ref = match.functions.get(oldName) ?? match.resolve(oldName);
          if (!ref)
            throw new UserError(`${unit.source}: function '${oldName}' is not in the running kernel.`);
          const alias = `__hotpatch_u${u}_f${i}`;
          exported.push({ name: f.name, alias });
          obj.functions.push({ oldName: ref.name, sympos: ref.sympos, alias });
          functions.push({
            name: oldName,
            object: unit.klpObject,
            unit: unit.source,
            status: "changed",
            reasons: f.reasons,
            sympos: ref.sympos,
          });
        });
        for (const name of callbacks) {
          const cb = CALLBACK_NAMES[name] as CallbackKind;
          const alias = `__hotpatch_u${u}_${cb}`;
          exported.push({ name, alias });
          obj.callbacks[cb] = alias;
          functions.push({
            name,
            object: unit.klpObject,
            unit: unit.source,
            status: "callback",
            reasons: [`${cb} callback`],
          });
        }
        for (const f of included(diff)) {
          if (callbacks.includes(f.name)) continue;
          if (f.status === "new") {
            functions.push({
              name: f.name,
              object: unit.klpObject,
              unit: unit.source,
              status: f.parent ? "child" : "new",
              reasons: f.reasons,
            });
          } else if (f.parent) {
            functions.push({
              name: f.name,
              object: unit.klpObject,
              unit: unit.source,
              status: "child",
              reasons: [`part of ${f.parent}`, ...f.reasons],
            });
          }
        }
        const policy = makePolicy({ diff, unit, match, symvers, namespaces });
        const result = extractPatchObject({
          object: readElf(readFileSync(unit.patchedObject)),
          functions: [...new Set([...includedNames(diff), ...callbacks])],
          exported,
          policy,
        });
        for (const sec of result.object.sections) {
          const owner = sectionOwners.get(sec.name);
          sectionOwners.set(sec.name, owner === undefined || owner === unit.klpObject ? unit.klpObject : "");
        }
        const file = join(outDir, `patch_${u}.o`);
        writeFileSync(file, writeElf(result.object));
        patchObjects.push(file);
        for (const t of result.kernelRefs) kernelReferences.push({ ...t, unit: unit.source });
        notes.push(...result.notes.map((n) => `${unit.source}: ${n}`));
        warnings.push(...diff.warnings.map((w) => `${unit.source}: ${w}`));
        if (
          unit.klpObject !== "vmlinux" &&
          result.kernelRefs.some((t) => t.kind === "klp" && t.objName === unit.klpObject)
        ) {
          warnings.push(
            `${unit.source}: the patch holds livepatch relocations for module ${unit.klpObject}; on Linux 6.1, removing and reloading ${unit.klpObject} while this patch is loaded fails (fixed upstream in 6.3): unload the patch first.`,
          );
        }
      }
    });
    const plan = {
      name: req.name,
      replace: req.replace,
      objects: [...objects.values()],
      patchObjects,
      namespaces: [...namespaces].sort(),
      sectionObjects: new Map([...sectionOwners].filter(([, owner]) => owner !== "")),
    };
    const packaged = await timed("link the livepatch module (kbuild) and write klp relocations", () =>
      packageModule(plan, {
        tree: req.paths.tree,
        workDir: inputs.workDir,
        outPath: req.outPath,
        logFile: join(inputs.workDir, "kbuild.log"),
        sign: req.sign,
      }),
    );
    return {
      module: packaged.ko,
      name: req.name,
      replace: req.replace,
      objects: plan.objects.map((o) => o.name),
      functions,
      ignored: diffs.flatMap(({ unit, diff }) =>
        diff.ignored.map((i) => ({ unit: unit.source, name: i.name, reason: i.reason })),
      ),
      kernelReferences,
      klpRelocationSections: packaged.klp.sections,
      notes,
      warnings,
      signed: packaged.signed,
      steps,
    };
  } finally {
    if (!process.env.HOTPATCH_KEEP_WORK) inputs.cleanup();
  }
}
