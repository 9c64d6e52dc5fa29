// SPDX-License-Identifier: GPL-2.0-only
// Stages 1 to 3 of the build in one call: the fixes applied to a scratch view, the units they
// affect, each compiled pristine and fixed. triage.ts runs it once per round; tests and
// benchmarks use it to get the object pairs of a fix.
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { TargetPaths } from "../kernel/target-layout.ts";
import { type CompiledUnit, type CompileFailure, compileUnits } from "./compile-units.ts";
import type { Fix } from "./fixes.ts";
import { type FileRefusal, type OverBudget, planUnits, type UnitCandidate } from "./plan-units.ts";
import { applySeries, type SeriesView } from "./view.ts";

export interface UnitInputs {
  view: SeriesView;
  /** Units compiled both ways (those of over-budget headers' samples included). */
  units: CompiledUnit[];
  /** The planned units (without the samples). */
  candidates: UnitCandidate[];
  refusals: FileRefusal[];
  overBudget: OverBudget[];
  /** Touched headers whose every affected unit is compiled (src/build/interfaces.ts). */
  completeHeaders: string[];
  failures: CompileFailure[];
  notes: string[];
  workDir: string;
  cleanup(): void;
}

export interface InputsOptions {
  /** Where to put the view and scratch files (a fresh one under the target's cache by default). */
  workDir?: string;
  logFile?: string;
  maxUnits?: number;
  jobs?: number;
  /** Fixes to leave out (name -> why). */
  excluded?: ReadonlyMap<string, string>;
  /** A fix that does not apply is an error (one fix), rather than left out (a series). */
  strictApply?: boolean;
  /** Stop before compiling when files were refused. */
  stopOnRefusal?: boolean;
  /** Fixed objects compiled in earlier rounds (content key -> path). */
  reuse?: Map<string, string>;
  /** Where compiled fixed objects go (kept across rounds); default: workDir. */
  objectsDir?: string;
}

export async function prepareUnits(
  paths: TargetPaths,
  fixes: Fix[],
  options: InputsOptions = {},
): Promise<UnitInputs> {
  const workDir = options.workDir ?? join(paths.root, "work", `${process.pid}-${Date.now()}`);
  const logFile = options.logFile ?? join(workDir, "build.log");
  const jobs = options.jobs ?? 2;
  const view = await applySeries(paths.tree, join(workDir, "view"), fixes, options.excluded ?? new Map(), {
    logFile,
    strictApply: options.strictApply ?? fixes.length === 1,
  });
  const inputs: UnitInputs = {
    view,
    units: [],
    candidates: [],
    refusals: [],
    overBudget: [],
    completeHeaders: [],
    failures: [],
    notes: [],
    workDir,
    cleanup: () => rmSync(workDir, { recursive: true, force: true }),
  };
  if (view.applied.length === 0) return inputs;
  const plan = await planUnits(paths, view.dir, view.applied, {
    maxUnits: options.maxUnits ?? 300,
    jobs,
    logFile,
    workDir,
  });
  Object.assign(inputs, {
    candidates: plan.candidates,
    refusals: plan.refusals,
    overBudget: plan.overBudget,
    completeHeaders: plan.completeHeaders,
  });
  inputs.notes.push(...plan.notes);
  if (options.stopOnRefusal && plan.refusals.length > 0) return inputs;
  const touched = view.applied.flatMap((f) => f.touched);
  const compiled = await compileUnits(
    paths,
    view.dir,
    [...plan.candidates, ...plan.overBudget.flatMap((o) => o.sample)],
    {
      touched: new Set(touched.map((t) => t.path)),
      created: touched.filter((t) => t.created).map((t) => t.path),
    },
    { jobs, logFile, workDir: options.objectsDir ?? workDir, reuse: options.reuse ?? new Map() },
  );
  inputs.units = compiled.units;
  inputs.failures = compiled.failures;
  inputs.refusals.push(...compiled.refusals);
  inputs.notes.push(...compiled.notes);
  return inputs;
}
