// SPDX-License-Identifier: GPL-2.0-only
// Stage 2 of the build: which compilation units the fixes affect, and because of which fix.
// A touched .c file is its own unit (or the units that #include it); a touched header reaches
// the units header-plan.ts finds; assembly, build-system and other files are refused with a
// reason; documentation and tools are ignored with a note. Nothing is compiled here.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  changedConstants,
  encodingReason,
  encodingUses,
  pastedEncodingUses,
} from "../kernel/constant-uses.ts";
import { type TouchedFile, touchedFiles } from "../kernel/fix.ts";
import { headerUsers, loadIncludeIndex } from "../kernel/includes.ts";
import type { TargetPaths } from "../kernel/target-layout.ts";
import {
  type ConfigState,
  classifyTouched,
  objectOfSource,
  parseKconfig,
  type TouchedKind,
  unitConfigState,
} from "../kernel/units.ts";
import type { Fix } from "./fixes.ts";
import { type HeaderPlanContext, planHeader } from "./header-plan.ts";

/** One unit to compile, and why. */
export interface UnitCandidate {
  source: string;
  object: string;
  /** Touched files that make it affected (the .c itself and/or headers it reads). */
  becauseOf: string[];
  /** The fixes that touch those files, in series order. */
  fixes: string[];
  state: ConfigState;
  /** Touched directly (a .c file of a fix) rather than through a header. */
  direct: boolean;
}

/** A touched file that cannot be live-patched, and the fixes that touch it. */
export interface FileRefusal {
  file: string;
  fixes: string[];
  kind: "unsupported" | "unsafe-data";
  reason: string;
}

/** A header that reaches more units than the build may compile. */
export interface OverBudget {
  header: string;
  fixes: string[];
  /** How many units it reaches (after the preprocessor, when it ran). */
  units: number;
  /** A few of those units, compiled anyway so their objects can give the real verdict. */
  sample: UnitCandidate[];
}

export interface UnitPlan {
  candidates: UnitCandidate[];
  refusals: FileRefusal[];
  notes: string[];
  overBudget: OverBudget[];
  /** Touched headers every unit seeing the change was planned for (no budget cut). */
  completeHeaders: string[];
}

export interface PlanOptions {
  /** The most units one build compiles (`--max-units`). */
  maxUnits: number;
  jobs: number;
  logFile?: string;
  /** Scratch directory for preprocessor output. */
  workDir: string;
}

/** Units that kbuild builds but that are not part of the running kernel's code. */
export function outsideRunningKernel(source: string): boolean {
  return (
    source.startsWith("arch/x86/boot/") ||
    source.startsWith("arch/x86/realmode/") ||
    source.includes("/vdso/")
  );
}

function refusalFor(file: TouchedFile, kind: TouchedKind): string | undefined {
  if (file.deleted)
    return "the fix deletes this file; removing code from a running kernel is not a livepatch";
  switch (kind) {
    case "assembly":
      return "assembly code has no ftrace entry and cannot be live-patched";
    case "build-system":
      return "a change to how the kernel is configured or built (Makefile/Kbuild/Kconfig) cannot be applied to a running kernel";
    case "other":
      return "not C source or a header: hotpatch cannot tell what it changes in the running kernel";
    case "c-source":
      return file.created ? "a new source file is not part of the running kernel's build" : undefined;
    default:
      return undefined;
  }
}

/** Collects candidates by object, merging the reasons and fixes of units reached twice. */
class CandidateSet {
  readonly byObject = new Map<string, UnitCandidate>();
  add(source: string, because: string, fixes: string[], direct: boolean, state: ConfigState): void {
    const object = objectOfSource(source);
    const existing = this.byObject.get(object);
    if (!existing) {
      this.byObject.set(object, { source, object, becauseOf: [because], fixes: [...fixes], state, direct });
      return;
    }
    if (!existing.becauseOf.includes(because)) existing.becauseOf.push(because);
    for (const f of fixes) if (!existing.fixes.includes(f)) existing.fixes.push(f);
    existing.direct ||= direct;
  }
}

/** Every touched file with the fixes (in series order) that touch it. */
function touchedWithFixes(fixes: Fix[]): Array<{ file: TouchedFile; fixes: string[] }> {
  const byPath = new Map<string, { file: TouchedFile; fixes: string[] }>();
  for (const fix of fixes) {
    for (const t of fix.touched) {
      const seen = byPath.get(t.path);
      if (!seen) byPath.set(t.path, { file: { ...t }, fixes: [fix.name] });
      else {
        seen.fixes.push(fix.name);
        seen.file.sections += t.sections;
        seen.file.deleted = t.deleted;
        seen.file.created ||= t.created;
      }
    }
  }
  return [...byPath.values()];
}

/** Decides which units the applied fixes affect (the view holds them applied). */
export async function planUnits(
  paths: TargetPaths,
  viewDir: string,
  fixes: Fix[],
  options: PlanOptions,
): Promise<UnitPlan> {
  const config = parseKconfig(readFileSync(join(paths.tree, ".config"), "utf8"));
  const memo: NonNullable<Parameters<typeof unitConfigState>[3]> = new Map();
  const stateOf = (source: string) => unitConfigState(paths.tree, objectOfSource(source), config, memo);
  const set = new CandidateSet();
  const plan: UnitPlan = { candidates: [], refusals: [], notes: [], overBudget: [], completeHeaders: [] };
  const index = () => loadIncludeIndex(paths.tree, join(paths.root, "cache", "include-index.json"));
  const fixText = fixes.map((f) => f.text).join("\n");
  const headerCtx: HeaderPlanContext = {
    paths,
    viewDir,
    fixText,
    touched: touchedFiles(fixText),
    stateOf,
    index,
    options,
    probes: new Map(),
  };
  for (const { file, fixes: by } of touchedWithFixes(fixes)) {
    const kind = classifyTouched(file.path);
    if (kind === "ignored") {
      plan.notes.push(`${file.path}: not part of the kernel image; ignored`);
      continue;
    }
    const refused = refusalFor(file, kind);
    if (refused) {
      plan.refusals.push({ file: file.path, fixes: by, kind: "unsupported", reason: refused });
      continue;
    }
    if (kind === "c-source") {
      const unsafe = sourceEncodingChange(paths.tree, viewDir, file.path, fixText);
      if (unsafe) plan.refusals.push({ file: file.path, fixes: by, kind: "unsafe-data", reason: unsafe });
      planSource(file.path, by, stateOf, index, set, plan.notes);
      continue;
    }
    const header = await planHeader(headerCtx, file);
    plan.notes.push(...header.notes);
    if (header.unsafe)
      plan.refusals.push({ file: file.path, fixes: by, kind: "unsafe-data", reason: header.unsafe });
    if (header.overBudget) plan.overBudget.push({ ...header.overBudget, fixes: by });
    if (header.complete) plan.completeHeaders.push(file.path);
    for (const u of header.units) set.add(u.source, file.path, by, false, u.state);
  }
  plan.candidates = [...set.byObject.values()].sort((a, b) => a.object.localeCompare(b.object));
  for (const o of plan.overBudget) o.sample = o.sample.map((s) => ({ ...s, fixes: o.fixes }));
  return plan;
}

/** A constant of a .c file the fix changes that encodes data (constant-uses.ts), in one sentence. */
function sourceEncodingChange(
  tree: string,
  viewDir: string,
  source: string,
  fixText: string,
): string | undefined {
  const read = (path: string) => (existsSync(path) ? readFileSync(path, "latin1") : "");
  const [original, fixed] = [read(join(tree, source)), read(join(viewDir, source))];
  for (const c of changedConstants(original, fixed, fixText, source)) {
    const uses = [...encodingUses(fixed, c.name), ...pastedEncodingUses(fixed, c.name)];
    if (uses.length > 0) return encodingReason(c, uses);
  }
  return undefined;
}

/** A touched .c file is its own unit, unless it is built only inside the units that #include it. */
function planSource(
  source: string,
  fixes: string[],
  stateOf: (source: string) => ConfigState,
  index: () => ReturnType<typeof loadIncludeIndex>,
  set: CandidateSet,
  notes: string[],
): void {
  const state = stateOf(source);
  if (state === "n") {
    notes.push(`${source}: not built in this kernel's configuration; ignored`);
    return;
  }
  if (state === "unknown") {
    // kernel/sched/psi.c is compiled as part of build_utility.o, which #includes it.
    const includers = headerUsers(index(), source)
      .filter((s) => !outsideRunningKernel(s))
      .map((s) => ({ source: s, state: stateOf(s) }))
      .filter((u) => u.state !== "n");
    if (includers.length > 0) {
      notes.push(
        `${source}: not a unit of its own; compiled as part of ${includers.map((u) => u.source).join(", ")}, which include it`,
      );
      for (const u of includers) set.add(u.source, source, fixes, true, u.state);
      return;
    }
  }
  set.add(source, source, fixes, true, state);
}
