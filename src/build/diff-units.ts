// SPDX-License-Identifier: GPL-2.0-only
// Stage 4 of the build: each unit's pristine and fixed objects diffed (src/diff). A changed
// function that no fix edits may differ only by a `__LINE__` a fix moved; such a unit is
// compiled once more from the fixed source renumbered to the old lines (`#line`), and what is
// unchanged there is only listed as ignored.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type DiffOptions,
  type DiffResult,
  diffObjects,
  sameWithOldLineNumbers,
  sourceNameOf,
} from "../diff/index.ts";
import { readElf } from "../elf/index.ts";
import { compilePatched } from "../kernel/compile.ts";
import { createScratchView, touchedFiles } from "../kernel/fix.ts";
import { withOldLineNumbers } from "../kernel/hunks.ts";
import type { Symvers } from "../kernel/symvers.ts";
import { callbackFunctions, type UnitDiff } from "../klp/assemble.ts";
import { fixFunctionsByFile } from "../klp/fix-functions.ts";
import type { CompiledUnit } from "./compile-units.ts";
import { callersPatched } from "./interfaces.ts";

export interface DiffStageOptions {
  tree: string;
  viewDir: string;
  workDir: string;
  /** The applied fixes' text, concatenated in order. */
  fixText: string;
  logFile?: string;
  /** What decides whether a changed prototype's callers all come along (interfaces.ts). */
  completeHeaders: string[];
  symvers: Symvers;
}

/** A diff of one compiled unit, with the fixes that reach it. */
export interface CompiledUnitDiff extends UnitDiff {
  unit: CompiledUnit;
}

/**
 * A second view whose touched C files and headers hold the fixed text renumbered to the old
 * line numbers. A file changed in more than one section (several fixes, a concatenated series)
 * keeps the fixed text: later sections number their lines after earlier ones, so renumbering
 * could misplace them; without it more functions differ, never fewer.
 */
function makeOldLinesView(options: DiffStageOptions, dir: string): string {
  const touched = touchedFiles(options.fixText);
  createScratchView(
    options.tree,
    dir,
    touched.map((t) => t.path),
  );
  for (const file of touched) {
    if (file.deleted || !/\.[ch]$/.test(file.path)) continue;
    const text =
      file.created || file.sections > 1
        ? readFileSync(join(options.viewDir, file.path), "utf8")
        : withOldLineNumbers(readFileSync(join(options.tree, file.path), "utf8"), options.fixText, file.path);
    writeFileSync(join(dir, file.path), text);
  }
  return dir;
}

/**
 * A changed function the fixes do not edit may differ only by a moved `__LINE__` (callees
 * kpatch's heuristic does not know, such as xfs's error helpers taking it on the stack).
 */
function mayHaveMovedLines(diff: DiffResult, sourceFunctions: string[]): boolean {
  const edited = new Set(sourceFunctions);
  return diff.functions.some((f) => f.status === "changed" && !edited.has(sourceNameOf(f.name)));
}

export async function diffUnits(
  units: CompiledUnit[],
  options: DiffStageOptions,
  notes: string[],
): Promise<CompiledUnitDiff[]> {
  const first: FirstDiff[] = [];
  const oldLines = { view: undefined as string | undefined };
  const byFile = fixFunctionsByFile(options.fixText, options.tree); // read once, not per unit
  for (const unit of units) first.push(await diffUnit(unit, options, notes, oldLines, byFile));
  // A changed prototype is fine when every caller is in the build: known only across units.
  const interfaceCallersPatched = callersPatched(
    first.map((f) => f.result.diff),
    options,
  );
  return first.map(({ result, diffOptions }) => {
    const refusesInterface = result.diff.refused.some((r) => r.kind === "changed-interface");
    if (interfaceCallersPatched.size === 0 || !refusesInterface) return result;
    // Read again rather than kept: an update diffs thousands of units, and holding every
    // unit's two parsed objects until this pass ran the process out of memory.
    const again = diffObjects(
      readElf(readFileSync(result.unit.pristineObject)),
      readElf(readFileSync(result.unit.patchedObject)),
      { ...diffOptions, interfaceCallersPatched },
    );
    return { ...result, diff: withNoFtraceReason(again, result.unit.noFtrace) };
  });
}

interface FirstDiff {
  result: CompiledUnitDiff;
  diffOptions: DiffOptions;
}

async function diffUnit(
  unit: CompiledUnit,
  options: DiffStageOptions,
  notes: string[],
  oldLines: { view: string | undefined },
  fixFunctionsOf: Map<string, string[]>,
): Promise<FirstDiff> {
  const orig = readElf(readFileSync(unit.pristineObject));
  const patched = readElf(readFileSync(unit.patchedObject));
  // Only what this unit compiles explains its changes: a series' functions in other units
  // would read as "inlines qrtr_create" in af_unix.c.
  const sourceFunctions = [
    ...new Set([unit.source, ...unit.pristine.reads].flatMap((file) => fixFunctionsOf.get(file) ?? [])),
  ];
  const diffOptions: DiffOptions = {
    sourceFunctions,
    // Jump labels and static calls on keys the module itself defines need the module kind.
    objectKind: unit.klpObject === "vmlinux" ? "vmlinux" : "module",
  };
  let diff = diffObjects(orig, patched, diffOptions);
  if (mayHaveMovedLines(diff, sourceFunctions)) {
    oldLines.view ??= makeOldLinesView(options, join(options.workDir, "view-old-lines"));
    const out = join(options.workDir, "old-lines", unit.object);
    const built = await compilePatched(
      oldLines.view,
      unit.pristine.command,
      out,
      options.logFile,
      unit.pristine.climbs,
    ).then(
      () => true,
      () => false,
    );
    if (built) {
      const same = sameWithOldLineNumbers(diff, diffObjects(orig, readElf(readFileSync(out)), diffOptions));
      if (same.size > 0) {
        diffOptions.sameWithOldLineNumbers = same;
        diff = diffObjects(orig, patched, diffOptions);
      }
    } else {
      // Not fatal: the patch is then only bigger (functions with moved lines go in too).
      notes.push(
        `${unit.source}: the build with the old line numbers failed (see the build log); functions whose only difference is a moved line number are patched too`,
      );
    }
  }
  notes.push(...diff.notes.map((n) => `${unit.source}: ${n}`));
  const result = {
    unit,
    diff: withNoFtraceReason(diff, unit.noFtrace),
    callbacks: callbackFunctions(patched),
  };
  return { result, diffOptions };
}

/** A no-fentry refusal in a unit built without ftrace says why its functions have none. */
function withNoFtraceReason(diff: DiffResult, why: string | undefined): DiffResult {
  if (!why) return diff;
  return {
    ...diff,
    refused: diff.refused.map((r) => (r.kind === "no-fentry" ? { ...r, reason: `${r.reason}: ${why}` } : r)),
  };
}
