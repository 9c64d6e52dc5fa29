// SPDX-License-Identifier: GPL-2.0-only
// The build pipeline behind `hotpatch build`: fix -> affected units compiled twice (the build
// front end) -> object diff per unit -> refusals stop the build -> run-pre matching and
// symbol resolution -> one patch object per unit -> stub + kbuild -> klp relocations -> .ko.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type DiffOptions,
  type DiffResult,
  diffObjects,
  sameWithOldLineNumbers,
  sourceNameOf,
} from "../diff/index.ts";
import { readElf } from "../elf/index.ts";
import { ExitCode, UserError } from "../errors/user-error.ts";
import { prepareBuildInputs } from "../kernel/build-inputs.ts";
import type { BuildInputs } from "../kernel/build-types.ts";
import { headerLayoutChanges } from "../kernel/header-scope.ts";
import { parseSymvers } from "../kernel/symvers.ts";
import type { TargetPaths } from "../kernel/target-layout.ts";
import { assemblePatch, callbackFunctions, included, type UnitDiff } from "./assemble.ts";
import { fixFunctions } from "./fix-functions.ts";
import { fixWithHelpers } from "./helpers-header.ts";
import { ibtRefusals } from "./ibt-running.ts";
import { packageModule, type SignOptions } from "./package.ts";
import { definitionLine } from "./source-line.ts";
import type { IncludedFunction, KernelTarget } from "./types.ts";

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
      `The fix cannot be live-patched safely (${refusals.length} refusal${refusals.length === 1 ? "" : "s"}).`,
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

/** Runs each step under `req.step` (progress and duration) and records how long it took. */
function stepTimer(req: BuildRequest) {
  const steps: Array<{ name: string; ms: number }> = [];
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await req.step(name, work);
    } finally {
      steps.push({ name, ms: Date.now() - t0 });
    }
  };
  return { steps, timed };
}

export async function buildLivepatch(req: BuildRequest): Promise<BuildReport> {
  const { steps, timed } = stepTimer(req);
  const layoutRefusals = layoutRefusalsOf(req);
  const fix = fixWithHelpers(req.fixPath);
  const inputs = await timed("compile affected units (pristine and patched)", () =>
    prepareBuildInputs(req.paths, fix.path),
  ).finally(fix.cleanup);
  try {
    refuseUnsupportedInputs(inputs, layoutRefusals);
    const diffNotes: string[] = [];
    const diffs = await timed("diff objects", () => diffUnits(req, inputs, diffNotes));
    const changing = changingUnits(req, inputs.workDir, diffs, layoutRefusals);
    const symvers = parseSymvers(readFileSync(req.paths.symvers, "utf8"));
    const assembly = await timed("match the running kernel and extract the patch", () =>
      assemblePatch(req.paths, symvers, changing, join(inputs.workDir, "patch")),
    );
    const plan = {
      name: req.name,
      replace: req.replace,
      objects: assembly.objects,
      patchObjects: assembly.patchObjects,
      namespaces: assembly.namespaces,
      sectionObjects: assembly.sectionObjects,
    };
    const packaged = await timed("link the livepatch module (kbuild) and write klp relocations", () =>
      packageModule(plan, {
        tree: req.paths.tree,
        workDir: inputs.workDir,
        outPath: req.outPath,
        logFile: join(inputs.workDir, "kbuild.log"),
        sign: req.sign,
        // IBT kernels (6.12): every function reached through a pointer starts with ENDBR64.
        check: (ko) => {
          const refusals = ibtRefusals(req.paths, ko);
          if (refusals.length > 0) throw new BuildRefusedError(refusals);
        },
      }),
    );
    return {
      module: packaged.ko,
      name: req.name,
      replace: req.replace,
      objects: plan.objects.map((o) => o.name),
      functions: assembly.functions,
      ignored: diffs.flatMap(({ unit, diff }) =>
        diff.ignored.map((i) => ({ unit: unit.source, name: i.name, reason: i.reason })),
      ),
      kernelReferences: assembly.kernelReferences,
      klpRelocationSections: packaged.klp.sections,
      notes: [...inputs.notes, ...diffNotes, ...assembly.notes],
      warnings: assembly.warnings,
      signed: packaged.signed,
      steps,
    };
  } finally {
    if (!process.env.HOTPATCH_KEEP_WORK) inputs.cleanup();
  }
}

/**
 * A fix that changes a struct's layout (in a header or a C file) is refused: the object diff
 * sees only the code using the struct, not the instances already in memory. Reported with the
 * front end's and the differ's refusals, which say what else is wrong.
 */
function layoutRefusalsOf(req: BuildRequest): BuildRefusalItem[] {
  return headerLayoutChanges(req.paths.tree, readFileSync(req.fixPath, "utf8")).map(({ file, type }) => ({
    unit: file,
    name: type,
    kind: "unsafe-data",
    reason: `the fix changes the layout of ${type}, whose instances the running kernel has already allocated and uses with the old layout`,
    suggestion:
      "keep the struct unchanged and hold the new state in a shadow variable (include/hotpatch/klp-helpers.h)",
  }));
}

/** The front end's refusals (assembly, lib/, too many includers) stop the build here. */
function refuseUnsupportedInputs(inputs: BuildInputs, layoutRefusals: BuildRefusalItem[]): void {
  if (inputs.refusals.length === 0) return;
  // A layout refusal says more about a header than "included by too many units".
  const laidOut = new Set(layoutRefusals.map((r) => r.unit));
  throw new BuildRefusedError([
    ...layoutRefusals,
    ...inputs.refusals
      .filter((r) => !laidOut.has(r.file) || !/included by/.test(r.reason))
      .map((r) => ({ unit: r.file, name: r.file, kind: "unsupported", reason: r.reason })),
  ]);
}

/** Diffs every built unit, with what the source fix says (the functions it edits). */
async function diffUnits(req: BuildRequest, inputs: BuildInputs, notes: string[]): Promise<UnitDiff[]> {
  const sourceFunctions = fixFunctions(req.fixPath, req.paths.tree);
  const diffs: UnitDiff[] = [];
  for (const unit of inputs.units) {
    const orig = readElf(readFileSync(unit.pristineObject));
    const patched = readElf(readFileSync(unit.patchedObject));
    const options: DiffOptions = {
      sourceFunctions,
      // Jump labels and static calls on keys the module itself defines need the module kind.
      objectKind: unit.klpObject === "vmlinux" ? "vmlinux" : "module",
    };
    let diff = diffObjects(orig, patched, options);
    if (mayHaveMovedLines(diff, sourceFunctions)) {
      // Built again with the old line numbers: what is still changed there is a real change.
      const oldLinesObject = await inputs.compileWithOldLineNumbers(unit).catch(() => undefined);
      if (oldLinesObject) {
        const oldLines = readElf(readFileSync(oldLinesObject));
        const same = sameWithOldLineNumbers(diff, diffObjects(orig, oldLines, options));
        if (same.size > 0) diff = diffObjects(orig, patched, { ...options, sameWithOldLineNumbers: same });
      } else {
        // Not fatal: the patch is then only bigger (functions with moved lines go in too).
        notes.push(
          `${unit.source}: the build with the old line numbers failed (see the build log); functions whose only difference is a moved line number are patched too`,
        );
      }
    }
    diffs.push({ unit, diff, callbacks: callbackFunctions(patched) });
  }
  return diffs;
}

/**
 * A changed function the fix does not edit may differ only by a `__LINE__` the fix moved
 * (callees kpatch's heuristic does not know, such as xfs's error helpers taking it on the
 * stack); then the unit is worth one more compile to tell.
 */
function mayHaveMovedLines(diff: DiffResult, sourceFunctions: string[]): boolean {
  const edited = new Set(sourceFunctions);
  return diff.functions.some((f) => f.status === "changed" && !edited.has(sourceNameOf(f.name)));
}

/**
 * The units whose code changes. Stops the build on any refusal (exit 2), on callbacks in a unit
 * that changes nothing (they would never run), and when no function changes (exit 3).
 */
function changingUnits(
  req: BuildRequest,
  workDir: string,
  diffs: UnitDiff[],
  layoutRefusals: BuildRefusalItem[],
): UnitDiff[] {
  const refusals = diffs.flatMap(({ unit, diff }) =>
    diff.refused.map((r) => ({
      unit: unit.source,
      where: whereDefined(workDir, req.paths.tree, unit.source, r.name),
      name: r.name,
      kind: r.kind,
      reason: r.reason,
      suggestion: r.suggestion,
    })),
  );
  if (refusals.length + layoutRefusals.length > 0)
    throw new BuildRefusedError([...layoutRefusals, ...refusals]);
  const changing = diffs.filter((d) => d.diff.verdict === "patchable" && included(d.diff).length > 0);
  const idle = diffs.find((d) => d.callbacks.length > 0 && !changing.includes(d));
  if (idle) {
    throw new UserError(
      `${idle.unit.source} defines livepatch callbacks but changes no function: callbacks run only for a unit that also changes code.`,
    );
  }
  if (changing.length === 0) {
    throw new UserError(
      "The fix changes no function of the running kernel: there is nothing to live-patch.",
      // What the differ noticed anyway (an added or removed export) is worth knowing.
      diffs.flatMap(({ unit, diff }) => diff.warnings.map((w) => `${unit.source}: ${w}`)),
      ExitCode.NO_CHANGE,
    );
  }
  return changing;
}
