// SPDX-License-Identifier: GPL-2.0-only
// The build behind `hotpatch build`, for one fix or a series, as a list of stages:
//   1. fixes applied to a scratch view of the target's tree          (view.ts)
//   2. the units they affect                                          (plan-units.ts, header-plan.ts)
//   3. each unit compiled pristine (cached) and fixed, in parallel    (compile-units.ts)
//   4. each pair diffed; refusals left out fix by fix, then rebuilt   (diff-units.ts, triage.ts)
//   5. the units that change matched against the running kernel and
//      extracted into patch objects, linked into one module          (src/klp)
// A fix series and a newer tree (split into fixes) go through the same stages.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ExitCode, UserError } from "../errors/user-error.ts";
import { parseSymvers } from "../kernel/symvers.ts";
import type { TargetPaths } from "../kernel/target-layout.ts";
import { assemblePatch, included } from "../klp/assemble.ts";
import { ibtRefusals } from "../klp/ibt-running.ts";
import { packageModule, type SignOptions } from "../klp/package.ts";
import type { IncludedFunction, KernelTarget } from "../klp/types.ts";
import { warn } from "../util/progress.ts";
import { isSkippedNote } from "./compile-units.ts";
import type { Fix } from "./fixes.ts";
import { fixOutcomes } from "./outcomes.ts";
import { type BuildStats, type Settled, settle } from "./triage.ts";
import { overriddenKinds, overrideNotice, overrideWarning } from "./unsafe-override.ts";
import { type BuildRefusalItem, BuildRefusedError, type FixOutcome } from "./verdicts.ts";

export interface BuildRequest {
  paths: TargetPaths;
  fixes: Fix[];
  name: string;
  replace: boolean;
  outPath: string;
  sign?: SignOptions;
  /** The most units the build compiles for one header (`--max-units`). */
  maxUnits: number;
  /** Parallel compiles. */
  jobs: number;
  /** With several fixes: any fix left out fails the build (exit 2). */
  strict: boolean;
  /** Times each step; `step` from src/util/progress.ts in the CLI. */
  step: <T>(label: string, work: () => Promise<T>) => Promise<T>;
}

export interface BuildReport {
  module: string;
  name: string;
  replace: boolean;
  objects: string[];
  /** Every fix with its verdict, in series order. */
  fixes: FixOutcome[];
  /** The refusals of the fixes left out (empty when every fix went in). */
  refused: BuildRefusalItem[];
  functions: IncludedFunction[];
  /** Functions that differ between the builds but not in what they do (a moved __LINE__). */
  ignored: Array<{ unit: string; name: string; reason: string }>;
  kernelReferences: Array<KernelTarget & { unit: string }>;
  klpRelocationSections: Array<{ name: string; relocations: number }>;
  notes: string[];
  warnings: string[];
  signed: boolean;
  steps: Array<{ name: string; ms: number }>;
  /** Triage rounds, distinct units compiled, fixed compiles run. */
  stats: BuildStats;
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

function workDirFor(paths: TargetPaths): string {
  return join(paths.root, "work", `${process.pid}-${Date.now()}`);
}

export async function buildLivepatch(req: BuildRequest): Promise<BuildReport> {
  const { steps, timed } = stepTimer(req);
  const workDir = workDirFor(req.paths);
  const overrideKinds = overriddenKinds();
  if (overrideKinds.size > 0) warn(overrideNotice(overrideKinds));
  try {
    const settled = await timed("apply, plan, compile and diff the fixes", () =>
      settle({
        paths: req.paths,
        fixes: req.fixes,
        workDir,
        logFile: join(workDir, "build.log"),
        maxUnits: req.maxUnits,
        jobs: req.jobs,
        overrideKinds,
      }),
    );
    const unsafe = settled.overridden.map(overrideWarning);
    const outcomes = fixOutcomes(req.fixes, settled.diffs, settled.leftOut, settled.sourceFunctions);
    const refused = [...settled.leftOut.values()].flatMap((l) => l.refusals);
    const changing = changingUnits(req, settled, outcomes, refused);
    const symvers = parseSymvers(readFileSync(req.paths.symvers, "utf8"));
    const assembly = await timed("match the running kernel and extract the patch", () =>
      assemblePatch(req.paths, symvers, changing, join(workDir, "patch"), settled.links.globals),
    );
    const carried = outcomes.filter((o) => o.verdict === "included");
    const plan = {
      name: req.name,
      replace: req.replace,
      objects: assembly.objects,
      patchObjects: assembly.patchObjects,
      namespaces: assembly.namespaces,
      sectionObjects: assembly.sectionObjects,
      fixes: carried.map((o) => ({ name: o.fix, sha256: o.sha256 })),
      unsafeKinds: [...new Set(settled.overridden.map((o) => o.kind))],
    };
    const packaged = await timed("link the livepatch module (kbuild) and write klp relocations", () =>
      packageModule(plan, {
        tree: req.paths.tree,
        workDir,
        outPath: req.outPath,
        logFile: join(workDir, "kbuild.log"),
        sign: req.sign,
        // IBT kernels (6.12): every function reached through a pointer starts with ENDBR64.
        check: (ko) => {
          const found = ibtRefusals(req.paths, ko);
          const fixes = carried.map((o) => o.fix);
          if (found.length > 0) throw new BuildRefusedError(found.map((r) => ({ ...r, fixes })));
        },
      }),
    );
    return {
      module: packaged.ko,
      name: req.name,
      replace: req.replace,
      objects: plan.objects.map((o) => o.name),
      fixes: outcomes,
      refused,
      functions: assembly.functions,
      ignored: settled.diffs.flatMap(({ unit, diff }) =>
        diff.ignored.map((i) => ({ unit: unit.source, name: i.name, reason: i.reason })),
      ),
      kernelReferences: assembly.kernelReferences,
      klpRelocationSections: packaged.klp.sections,
      notes: [...settled.notes, ...assembly.notes],
      warnings: [...unsafe, ...assembly.warnings],
      signed: packaged.signed,
      steps,
      stats: settled.stats,
    };
  } finally {
    if (!process.env.HOTPATCH_KEEP_WORK) rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * The units whose code changes. Stops the build when no fix can go in (exit 2), when
 * `--strict` is given and one was left out (exit 2), on callbacks in a unit that changes
 * nothing (they would never run), and when no function changes (exit 3).
 */
function changingUnits(
  req: BuildRequest,
  settled: Settled,
  outcomes: FixOutcome[],
  refused: BuildRefusalItem[],
) {
  const leftOut = outcomes.filter((o) => o.verdict === "refused" || o.verdict === "not-applied");
  if (leftOut.length > 0 && (req.strict || leftOut.length === outcomes.length)) {
    if (refused.length === 0)
      throw new UserError(
        `No fix can go into the module: ${leftOut.map((o) => `${o.fix} (${o.reasons.join("; ")})`).join(", ")}.`,
        [],
        ExitCode.REFUSED,
      );
    throw new BuildRefusedError(refused, outcomes);
  }
  const changing = settled.diffs.filter((d) => d.diff.verdict === "patchable" && included(d.diff).length > 0);
  const idle = settled.diffs.find((d) => d.callbacks.length > 0 && !changing.includes(d));
  if (idle) {
    throw new UserError(
      `${idle.unit.source} defines livepatch callbacks but changes no function: callbacks run only for a unit that also changes code.`,
    );
  }
  if (changing.length === 0) {
    throw new UserError(
      req.fixes.length === 1
        ? "The fix changes no function of the running kernel: there is nothing to live-patch."
        : "None of the fixes changes a function of the running kernel: there is nothing to live-patch.",
      // What the differ noticed anyway (an added or removed export) is worth knowing, and so
      // is a unit that was never compared (the EFI stub, a unit this configuration skips).
      [
        ...settled.notes.filter(isSkippedNote),
        ...settled.diffs.flatMap(({ unit, diff }) => diff.warnings.map((w) => `${unit.source}: ${w}`)),
      ],
      ExitCode.NO_CHANGE,
    );
  }
  return changing;
}
