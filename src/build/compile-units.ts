// SPDX-License-Identifier: GPL-2.0-only
// Stage 3 of the build: every planned unit compiled twice with the same recipe. Pristine
// objects come from the target's cache (built by kbuild in one parallel make when missing);
// fixed ones replay kbuild's command in the scratch view, several at a time. A fixed object is
// reused within a build when nothing it reads changed (the triage of a series rebuilds after
// leaving a fix out, and most units stay the same).
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readElf, SHN, STT } from "../elf/index.ts";
import { UserError } from "../errors/user-error.ts";
import type { UnitBuild } from "../kernel/build-types.ts";
import {
  compilePatched,
  compilePristineBatch,
  hasFtrace,
  OwnFlagsUnitError,
  type PristineUnit,
} from "../kernel/compile.ts";
import { realizeParentReferences, refreshScratchView } from "../kernel/fix.ts";
import { loadKallsyms } from "../kernel/kallsyms.ts";
import { moduleKallsyms } from "../kernel/match.ts";
import type { TargetPaths } from "../kernel/target-layout.ts";
import { klpObjectOf, moduleFileOf } from "../kernel/units.ts";
import { mapPool } from "../util/pool.ts";
import { counter } from "../util/progress.ts";
import type { FileRefusal, UnitCandidate } from "./plan-units.ts";

export const NO_FTRACE =
  "its unit is compiled without ftrace's entry call (its Makefile removes CC_FLAGS_FTRACE), so livepatch cannot redirect its functions";

/** A unit compiled both ways, with the fixes that reach it. */
export interface CompiledUnit extends UnitBuild {
  fixes: string[];
  /** kbuild's recipe, replayed for the old-line-numbers build. */
  pristine: PristineUnit;
}

/** A unit whose fixed source does not compile. */
export interface CompileFailure {
  candidate: UnitCandidate;
  error: UserError;
}

export interface CompileResult {
  units: CompiledUnit[];
  failures: CompileFailure[];
  /** Units that cannot be compared function by function (built with their own flags). */
  refusals: FileRefusal[];
  notes: string[];
}

export interface CompileOptions {
  jobs: number;
  logFile?: string;
  workDir: string;
  /** Fixed objects already built in this build (content key -> path). */
  reuse: Map<string, string>;
}

/** Whether a compiled unit's functions exist in the running kernel (the final word on "built"). */
function presentInTarget(
  paths: TargetPaths,
  pristineObject: string,
  klpObject: string,
  moduleFile?: string,
): boolean {
  const obj = readElf(readFileSync(pristineObject));
  let functions = obj.symbols.filter(
    (s) =>
      s.type === STT.FUNC &&
      s.section !== SHN.UNDEF &&
      s.definedIn !== null &&
      !s.definedIn.name.startsWith(".init"),
  );
  if (functions.length === 0) return true; // nothing to tell by; keep it
  // Global names are unique to their unit; static inline helpers are emitted by many units.
  const globals = functions.filter((f) => !f.isLocal);
  if (globals.length > 0) functions = globals;
  if (klpObject === "vmlinux") {
    if (!existsSync(paths.kallsyms)) return true;
    const kallsyms = loadKallsyms(paths.kallsyms);
    return functions.some((f) => kallsyms.named(f.name).length > 0);
  }
  if (!moduleFile || /\.(xz|zst|gz)$/.test(moduleFile)) return true;
  const kept = new Set(
    moduleKallsyms(readElf(readFileSync(join(paths.modulesDir, moduleFile)))).map((s) => s.name),
  );
  return functions.some((f) => kept.has(f.name));
}

/**
 * What a fixed object depends on: kbuild's command and the view's text of every file the
 * pristine compile read that some fix touches (plus files the fixes create).
 */
function contentKey(
  viewDir: string,
  pristine: PristineUnit,
  touched: Set<string>,
  created: string[],
): string {
  const hash = createHash("sha256").update(JSON.stringify(pristine.command));
  for (const file of [...pristine.reads.filter((r) => touched.has(r)), ...created].sort()) {
    const path = join(viewDir, file);
    hash.update(`\0${file}\0`);
    if (existsSync(path)) hash.update(readFileSync(path));
  }
  return hash.digest("hex");
}

const SKIPPED = "; skipped";

/** The note for a unit never compared; a build that changes nothing lists these (pipeline.ts). */
function skippedNote(object: string, why: string): string {
  return `${object}: ${why}${SKIPPED}`;
}

export const isSkippedNote = (note: string): boolean => note.endsWith(SKIPPED);

/** Where the unit belongs in the target, or why it is skipped (a note). */
function placeInTarget(
  paths: TargetPaths,
  candidate: UnitCandidate,
  pristine: PristineUnit,
): { klpObject: string; moduleFile?: string } | string {
  const klpObject = klpObjectOf(pristine.command);
  const moduleFile = klpObject === "vmlinux" ? undefined : moduleFileOf(paths.modulesDir, klpObject);
  if (klpObject !== "vmlinux" && !moduleFile)
    return skippedNote(candidate.object, `built as module ${klpObject}, which the target does not ship`);
  if (!presentInTarget(paths, pristine.objectPath, klpObject, moduleFile))
    return skippedNote(
      candidate.object,
      "none of its functions are in the running kernel (not built in this configuration)",
    );
  return { klpObject, moduleFile };
}

/** Compiles every candidate pristine (cached) and fixed (from `viewDir`). */
export async function compileUnits(
  paths: TargetPaths,
  viewDir: string,
  candidates: UnitCandidate[],
  touchedFiles: { touched: Set<string>; created: string[] },
  options: CompileOptions,
): Promise<CompileResult> {
  const result: CompileResult = { units: [], failures: [], refusals: [], notes: [] };
  if (candidates.length === 0) return result;
  const pristineProgress = counter(
    "compiling units in the target's tree (pristine, cached)",
    candidates.length,
  );
  const pristine = await compilePristineBatch(
    paths,
    candidates.map((c) => c.object),
    { logFile: options.logFile, jobs: options.jobs, progress: (done) => pristineProgress.tick(done) },
  );
  pristineProgress.end();
  refreshScratchView(viewDir); // the pristine make may have generated headers beside sources
  const placed: Array<{
    candidate: UnitCandidate;
    pristine: PristineUnit;
    klpObject: string;
    moduleFile?: string;
  }> = [];
  for (const candidate of candidates) {
    const unit = pristine.get(candidate.object);
    const { source, fixes } = candidate;
    if (unit instanceof OwnFlagsUnitError) {
      result.refusals.push({ file: source, fixes, kind: "unsupported", reason: unit.message });
      continue;
    }
    if (!unit || unit instanceof UserError) {
      // A file the fix edits that the configuration may build but kbuild cannot compile on its
      // own (the real-mode trampoline, linked into a blob by its own rules) leaves no evidence
      // of what the fix changes there: refused, where a unit reached through a header is skipped.
      if (candidate.direct && candidate.state !== "n") {
        const reason = `${candidate.object} could not be compiled on its own in the target's tree (the build log says why): without its object hotpatch cannot tell what the fix changes there`;
        result.refusals.push({ file: source, fixes, kind: "unsupported", reason });
      } else {
        result.notes.push(
          skippedNote(
            candidate.object,
            "does not compile in the target's tree (not built in this configuration)",
          ),
        );
      }
      continue;
    }
    const place = placeInTarget(paths, candidate, unit);
    if (typeof place === "string") result.notes.push(place);
    else placed.push({ candidate, pristine: unit, ...place });
  }
  // A unit that reaches a file through `..` must see the view's copy (before compiles run).
  for (const p of placed) realizeParentReferences(viewDir, p.pristine.climbs);
  const fixedProgress = counter("compiling units with the fixes", placed.length);
  let done = 0;
  await mapPool(placed, options.jobs, async (p) => {
    const key = contentKey(viewDir, p.pristine, touchedFiles.touched, touchedFiles.created);
    const out = join(options.workDir, "patched", key.slice(0, 16), p.candidate.object);
    try {
      // The same key, the same path: a unit unchanged since the last round is not rebuilt.
      if (!options.reuse.has(key)) {
        await compilePatched(viewDir, p.pristine.command, out, options.logFile);
        options.reuse.set(key, out);
      }
      result.units.push({
        source: p.candidate.source,
        object: p.candidate.object,
        klpObject: p.klpObject,
        moduleFile: p.moduleFile,
        pristineObject: p.pristine.objectPath,
        patchedObject: out,
        becauseOf: p.candidate.becauseOf,
        fixes: p.candidate.fixes,
        pristine: p.pristine,
        ...(hasFtrace(p.pristine.command) ? {} : { noFtrace: NO_FTRACE }),
      });
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      result.failures.push({ candidate: p.candidate, error });
    }
    fixedProgress.tick(++done);
  });
  fixedProgress.end();
  result.units.sort((a, b) => a.object.localeCompare(b.object));
  return result;
}
