// SPDX-License-Identifier: GPL-2.0-only
// Entry point of the build front end: fix + prepared target -> pristine/patched object pairs
// per affected compilation unit, with refusals. The livepatch generator calls this, then
// diffs each pair, then asks src/kernel/match.ts to prove and resolve against the running
// kernel.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readElf, SHN, STT } from "../elf/index.ts";
import { step } from "../util/progress.ts";
import type { BuildInputs, BuildRefusal, PrepareBuildInputsOptions, UnitBuild } from "./build-types.ts";
import { compilePatched, compilePristine, hasFtrace, objectCacheDir } from "./compile.ts";
import { applyFix, createScratchView, readFix, type TouchedFile } from "./fix.ts";
import { headerCodeNames, usersOfCodeNames } from "./header-scope.ts";
import { withOldLineNumbers } from "./hunks.ts";
import { headerUsers, loadIncludeIndex } from "./includes.ts";
import { loadKallsyms } from "./kallsyms.ts";
import type { UnitCommand } from "./kbuild-cmd.ts";
import { moduleKallsyms } from "./match.ts";
import type { TargetPaths } from "./target-layout.ts";
import { readTargetModule } from "./target-modules.ts";
import {
  type ConfigState,
  classifyTouched,
  klpObjectOf,
  moduleFileOf,
  noFtraceByPath,
  objectOfSource,
  parseKconfig,
  unitConfigState,
} from "./units.ts";

export type {
  BuildInputs,
  BuildRefusal,
  KernelSymbolRef,
  KlpObjectName,
  PrepareBuildInputsOptions,
  UnitBuild,
} from "./build-types.ts";

/** A header used by more built units than this is refused (each unit costs a compile or two). */
export const MAX_HEADER_UNITS = 40;

const NO_FTRACE =
  "it is compiled without ftrace's entry call (its Makefile removes CC_FLAGS_FTRACE), so livepatch cannot redirect its functions";

/** Units that kbuild builds but that are not part of the running kernel's code. */
function outsideRunningKernel(source: string): boolean {
  return (
    source.startsWith("arch/x86/boot/") ||
    source.startsWith("arch/x86/realmode/") ||
    source.includes("/vdso/")
  );
}

interface Candidate {
  source: string;
  object: string;
  becauseOf: string[];
  state: ConfigState;
  /** Touched directly (a .c file of the fix) rather than through a header. */
  direct: boolean;
}

interface Plan {
  candidates: Candidate[];
  refusals: BuildRefusal[];
  notes: string[];
}

function refusalFor(file: TouchedFile, kind: ReturnType<typeof classifyTouched>): string | undefined {
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
      if (file.created) return "a new source file is not part of the running kernel's build";
      if (noFtraceByPath(file.path)) return NO_FTRACE;
      return undefined;
    default:
      return undefined;
  }
}

/** What planning the units of one fix accumulates, file by file. */
interface Planner {
  paths: TargetPaths;
  fixText: string;
  config: ReturnType<typeof parseKconfig>;
  /** Makefile assignments read so far, by directory (units.ts). */
  memo: NonNullable<Parameters<typeof unitConfigState>[3]>;
  byObject: Map<string, Candidate>;
  refusals: BuildRefusal[];
  notes: string[];
  /** Adds a unit (by its source) to build, because of a touched file. */
  add: (source: string, because: string, direct: boolean, state: ConfigState) => void;
}

/** Decides, without compiling, which units the touched files affect. */
function planUnits(paths: TargetPaths, touched: TouchedFile[], fixText: string): Plan {
  const byObject = new Map<string, Candidate>();
  const planner: Planner = {
    paths,
    fixText,
    config: parseKconfig(readFileSync(join(paths.tree, ".config"), "utf8")),
    memo: new Map(),
    byObject,
    refusals: [],
    notes: [],
    add: (source, because, direct, state) => {
      const object = objectOfSource(source);
      const existing = byObject.get(object);
      if (existing) {
        if (!existing.becauseOf.includes(because)) existing.becauseOf.push(because);
        existing.direct ||= direct;
      } else {
        byObject.set(object, { source, object, becauseOf: [because], state, direct });
      }
    },
  };
  for (const file of touched) {
    const kind = classifyTouched(file.path);
    if (kind === "ignored") {
      planner.notes.push(`${file.path}: not part of the kernel image; ignored`);
      continue;
    }
    const refused = refusalFor(file, kind);
    if (refused) planner.refusals.push({ file: file.path, reason: refused });
    else if (kind === "c-source") planSource(planner, file);
    else planHeader(planner, file);
  }
  const candidates = [...byObject.values()].sort((a, b) => a.object.localeCompare(b.object));
  return { candidates, refusals: planner.refusals, notes: planner.notes };
}

/** A touched .c file is its own unit, unless it is built only inside the units that #include it. */
function planSource(planner: Planner, file: TouchedFile): void {
  const { paths, config, memo, add, notes } = planner;
  const state = unitConfigState(paths.tree, objectOfSource(file.path), config, memo);
  if (state === "n") notes.push(`${file.path}: not built in this kernel's configuration; ignored`);
  else if (state === "unknown" && includedByOtherSources(paths, file.path, config, memo, add, notes)) return;
  else add(file.path, file.path, true, state);
}

/** A touched header: every built unit that includes it, directly or not (narrowed when it can be). */
function planHeader(planner: Planner, file: TouchedFile): void {
  const { paths, config, memo, notes, refusals } = planner;
  if (file.created) {
    notes.push(`${file.path}: a new header; only the units the fix changes to include it are affected`);
    return;
  }
  const index = loadIncludeIndex(paths.tree, join(paths.root, "cache", "include-index.json"));
  const users = narrowedUsers(
    planner,
    file,
    index,
    headerUsers(index, file.path).filter((source) => !outsideRunningKernel(source)),
  );
  if (users.length > MAX_HEADER_UNITS * 10) {
    // Far too many to be worth evaluating the Makefiles for each.
    refusals.push({
      file: file.path,
      reason: `it is included by ${users.length} source files (e.g. ${users.slice(0, 3).join(", ")}); hotpatch rebuilds at most ${MAX_HEADER_UNITS} units per fix`,
    });
    return;
  }
  const built = users
    .map((source) => ({ source, state: unitConfigState(paths.tree, objectOfSource(source), config, memo) }))
    .filter((u) => u.state !== "n");
  if (built.length > MAX_HEADER_UNITS) {
    const sample = built
      .slice(0, 3)
      .map((u) => u.source)
      .join(", ");
    refusals.push({
      file: file.path,
      reason: `it is included by ${built.length} units built in this configuration (e.g. ${sample}); hotpatch rebuilds at most ${MAX_HEADER_UNITS} units per fix`,
    });
    return;
  }
  notes.push(
    `${file.path}: included by ${built.length} built unit(s) (from an #include scan of the tree; units adding their own -I paths or including it conditionally may differ)`,
  );
  for (const u of built) planner.add(u.source, file.path, false, u.state);
}

/**
 * Only static inlines, macros or prototypes changed (header-scope.ts): the units that can use
 * them are enough; none named (a new prototype): nothing sees the change. Narrowing is only
 * worth its scan for a header with more includers than one fix may rebuild.
 */
function narrowedUsers(
  planner: Planner,
  file: TouchedFile,
  index: ReturnType<typeof loadIncludeIndex>,
  users: string[],
): string[] {
  const { paths, fixText, notes } = planner;
  const inlines =
    users.length > MAX_HEADER_UNITS ? headerCodeNames(paths.tree, file.path, fixText) : undefined;
  if (!inlines) return users;
  const narrowed = inlines.length === 0 ? [] : usersOfCodeNames(paths.tree, index, file.path, users, inlines);
  notes.push(
    inlines.length === 0
      ? `${file.path}: the fix changes only declarations or comments there: none of the ${users.length} files including it changes`
      : `${file.path}: the fix changes only the static inline function(s) or macro(s) ${inlines.join(", ")}; of the ${users.length} files including it, ${narrowed.length} name them or include a header that does`,
  );
  return narrowed;
}

/**
 * A .c file that no Makefile names but that other .c files `#include` (kernel/sched/psi.c is
 * compiled as part of build_utility.o): the including files are the units. Adds them and
 * returns true, or returns false when nothing includes it.
 */
function includedByOtherSources(
  paths: TargetPaths,
  source: string,
  config: Map<string, string>,
  memo: Parameters<typeof unitConfigState>[3],
  add: (source: string, because: string, direct: boolean, state: ConfigState) => void,
  notes: string[],
): boolean {
  const index = loadIncludeIndex(paths.tree, join(paths.root, "cache", "include-index.json"));
  const includers = headerUsers(index, source)
    .filter((s) => !outsideRunningKernel(s))
    .map((s) => ({ source: s, state: unitConfigState(paths.tree, objectOfSource(s), config, memo) }))
    .filter((u) => u.state !== "n");
  if (includers.length === 0) return false;
  notes.push(
    `${source}: not a unit of its own; compiled as part of ${includers.map((u) => u.source).join(", ")}, which include it`,
  );
  for (const u of includers) add(u.source, source, true, u.state);
  return true;
}

/** Whether a compiled unit's functions exist in the running kernel (the final word on "built"). */
function presentInTarget(
  paths: TargetPaths,
  pristineObject: string,
  klpObject: string,
  moduleFile: string | undefined,
): boolean {
  const obj = readElf(readFileSync(pristineObject));
  const functions = obj.symbols.filter(
    (s) =>
      s.type === STT.FUNC &&
      s.section !== SHN.UNDEF &&
      s.definedIn !== null &&
      !s.definedIn.name.startsWith(".init"),
  );
  if (functions.length === 0) return true; // nothing to tell by; keep it
  // Global names are unique to their unit; static inline helpers are emitted by many units.
  const globals = functions.filter((f) => !f.isLocal);
  if (globals.length > 0) functions.splice(0, functions.length, ...globals);
  if (klpObject === "vmlinux") {
    if (!existsSync(paths.kallsyms)) return true;
    const kallsyms = loadKallsyms(paths.kallsyms);
    return functions.some((f) => kallsyms.named(f.name).length > 0);
  }
  if (!moduleFile) return true;
  const kept = new Set(moduleKallsyms(readElf(readTargetModule(paths, moduleFile))).map((s) => s.name));
  return functions.some((f) => kept.has(f.name));
}

async function compileUnit(
  paths: TargetPaths,
  candidate: Candidate,
  viewDir: string,
  workDir: string,
  logFile: string,
  result: { units: UnitBuild[]; refusals: BuildRefusal[]; notes: string[] },
  commands: Map<string, UnitCommand>,
): Promise<void> {
  const pristine = await step(`compiling ${candidate.object} (pristine)`, () =>
    compilePristine(paths, candidate.object, logFile),
  );
  commands.set(candidate.object, pristine.command);
  let noFtrace: string | undefined;
  if (!hasFtrace(pristine.command)) {
    if (candidate.direct) {
      result.refusals.push({ file: candidate.source, reason: NO_FTRACE });
      return;
    }
    noFtrace = NO_FTRACE;
  }
  const klpObject = klpObjectOf(pristine.command);
  const moduleFile = klpObject === "vmlinux" ? undefined : moduleFileOf(paths.modulesDir, klpObject);
  if (klpObject !== "vmlinux" && !moduleFile) {
    result.notes.push(
      `${candidate.object}: built as module ${klpObject}, which the target does not ship; skipped`,
    );
    return;
  }
  if (!presentInTarget(paths, pristine.objectPath, klpObject, moduleFile)) {
    result.notes.push(
      `${candidate.object}: none of its functions are in the running kernel (not built in this configuration); skipped`,
    );
    return;
  }
  const patchedObject = join(workDir, "patched", candidate.object);
  await step(`compiling ${candidate.object} (fixed)`, () =>
    compilePatched(viewDir, pristine.command, patchedObject, logFile),
  );
  result.units.push({
    source: candidate.source,
    object: candidate.object,
    klpObject,
    moduleFile,
    pristineObject: pristine.objectPath,
    patchedObject,
    becauseOf: candidate.becauseOf,
    ...(noFtrace ? { noFtrace } : {}),
  });
}

/**
 * A second scratch view whose touched C files and headers hold the fixed text renumbered to
 * the old line numbers (hunks.ts withOldLineNumbers). A file the fix changes in more than one
 * section (a concatenated series) keeps the fixed view's text: its later sections number their
 * lines after the earlier ones, so renumbering could misplace them; without it, more functions
 * differ, never fewer.
 */
function makeOldLinesView(
  tree: string,
  dir: string,
  touched: TouchedFile[],
  fixPath: string,
  fixedView: string,
): string {
  const fixText = readFileSync(fixPath, "utf8");
  createScratchView(
    tree,
    dir,
    touched.map((t) => t.path),
  );
  for (const file of touched) {
    if (file.deleted || !/\.[ch]$/.test(file.path)) continue;
    const text =
      file.created || file.sections > 1
        ? readFileSync(join(fixedView, file.path), "utf8")
        : withOldLineNumbers(readFileSync(join(tree, file.path), "utf8"), fixText, file.path);
    writeFileSync(join(dir, file.path), text);
  }
  return dir;
}

/**
 * Applies `fixPath` to a scratch view of `paths.tree`, finds the units it affects and compiles
 * each pristine (cached) and patched with the target's exact flags plus
 * -ffunction-sections -fdata-sections. Throws UserError when the fix does not apply.
 * Refused files are listed in `refusals`; when there are any, nothing is compiled.
 */
export async function prepareBuildInputs(
  paths: TargetPaths,
  fixPath: string,
  options: PrepareBuildInputsOptions = {},
): Promise<BuildInputs> {
  const touched = readFix(fixPath);
  const workDir = options.workDir ?? join(paths.root, "work", `${process.pid}-${Date.now()}`);
  const viewDir = join(workDir, "view");
  const logFile = options.logFile ?? join(workDir, "build.log");
  const cleanup = () => rmSync(workDir, { recursive: true, force: true });
  try {
    await step("applying the fix to a scratch view of the target's source", async () => {
      createScratchView(
        paths.tree,
        viewDir,
        touched.map((t) => t.path),
      );
      await applyFix(viewDir, fixPath, logFile);
    });
    const plan = await step("finding the compilation units the fix affects", async () =>
      planUnits(paths, touched, readFileSync(fixPath, "utf8")),
    );
    const result = { units: [] as UnitBuild[], refusals: plan.refusals, notes: plan.notes };
    const commands = new Map<string, UnitCommand>();
    if (plan.refusals.length === 0 && !options.planOnly) {
      for (const candidate of plan.candidates)
        await compileUnit(paths, candidate, viewDir, workDir, logFile, result, commands);
    } else {
      // Not compiled: report the units with the paths they would have.
      for (const c of plan.candidates) {
        result.units.push({
          source: c.source,
          object: c.object,
          klpObject: c.state === "m" ? "(module)" : c.state === "y" ? "vmlinux" : "(unknown)",
          pristineObject: join(objectCacheDir(paths), c.object),
          patchedObject: join(workDir, "patched", c.object),
          becauseOf: c.becauseOf,
        });
      }
    }
    result.units.sort((a, b) => a.object.localeCompare(b.object));
    let oldLinesView: string | undefined;
    const compileWithOldLineNumbers = async (unit: UnitBuild): Promise<string> => {
      const command = commands.get(unit.object);
      if (!command) throw new Error(`${unit.object} was not compiled, so it has no command to replay`);
      oldLinesView ??= makeOldLinesView(
        paths.tree,
        join(workDir, "view-old-lines"),
        touched,
        fixPath,
        viewDir,
      );
      const view = oldLinesView;
      const out = join(workDir, "old-lines", unit.object);
      await step(`compiling ${unit.object} (fixed, with the old line numbers)`, () =>
        compilePatched(view, command, out, logFile),
      );
      return out;
    };
    return {
      touchedFiles: touched.map((t) => t.path),
      ...result,
      workDir,
      compileWithOldLineNumbers,
      cleanup,
    };
  } catch (error) {
    cleanup();
    throw error;
  }
}
