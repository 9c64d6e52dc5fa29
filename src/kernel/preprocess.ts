// SPDX-License-Identifier: GPL-2.0-only
// The preprocessor decides which units a header change reaches: a unit whose preprocessed text
// is the same before and after the fix compiles to the same object, whatever the header's
// macros paste together or its #ifs hide. Pristine units are preprocessed by kbuild itself
// (`make dir/unit.i`, with the unit's exact flags and -I paths) and remembered per target: the
// hash of the text and the list of files the preprocessor read (the compiler's own -MMD
// output, as kbuild records it in `.unit.i.cmd`). The fixed side replays that command in the
// scratch view. Line markers are left out of the comparison (a header that grew moves them
// all); __LINE__ values are in the text itself, so a moved one still counts as a change.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { writeFileAtomic } from "../util/atomic.ts";
import { withLock } from "../util/lock.ts";
import { run } from "../util/run.ts";
import { SECTION_FLAGS, treeLockPath } from "./compile.ts";
import {
  cmdFileOf,
  parentRelative,
  parseUnitCommand,
  rawDepsOfCmdFile,
  retarget,
  type UnitCommand,
} from "./kbuild-cmd.ts";
import type { TargetPaths } from "./target-layout.ts";

const CACHE_VERSION = "v1";

/** A pristine unit as the preprocessor saw it. */
export interface PreprocessedUnit {
  /** The unit's object, e.g. `net/unix/af_unix.o`. */
  object: string;
  /** kbuild's preprocessing command (`gcc -E ... -o unit.i unit.c`). */
  command: UnitCommand;
  /** sha256 of the preprocessed text without line markers. */
  sha256: string;
  /** Tree-relative files the preprocessor read (the .c itself and every header). */
  reads: string[];
  /** Those it named through `..`: the view must hold real directories there (fix.ts). */
  climbs: string[];
}

interface CacheEntry {
  cmd: string;
  sha256: string;
  reads: string[];
}

function cacheFileOf(paths: TargetPaths, object: string): string {
  return join(paths.root, "preprocessed", CACHE_VERSION, `${object}.json`);
}

function preprocessedName(object: string): string {
  return object.replace(/\.o$/, ".i");
}

/** sha256 of preprocessed text, line markers (`# 12 "file" 2`) left out. */
export function preprocessedHash(text: string): string {
  return createHash("sha256")
    .update(text.replace(/^# \d+ "[^\n]*$/gm, ""))
    .digest("hex");
}

function fromCache(paths: TargetPaths, object: string): PreprocessedUnit | undefined {
  const file = cacheFileOf(paths, object);
  if (!existsSync(file)) return undefined;
  const entry = JSON.parse(readFileSync(file, "utf8")) as CacheEntry;
  return {
    object,
    command: parseUnitCommand(entry.cmd, preprocessedName(object)),
    sha256: entry.sha256,
    reads: entry.reads.map((r) => normalize(r)),
    climbs: parentRelative(entry.reads),
  };
}

/** Reads what `make unit.i` left in the tree into the cache, then removes the (large) .i. */
function harvest(paths: TargetPaths, object: string): PreprocessedUnit | undefined {
  const name = preprocessedName(object);
  const output = join(paths.tree, name);
  const cmdFile = join(paths.tree, cmdFileOf(name));
  if (!existsSync(output) || !existsSync(cmdFile)) return undefined;
  const cmdText = readFileSync(cmdFile, "utf8");
  const cmdLine = cmdText.split("\n").find((l) => l.startsWith(`cmd_${name} := `)) ?? "";
  const entry: CacheEntry = {
    cmd: cmdLine,
    sha256: preprocessedHash(readFileSync(output, "latin1")),
    reads: rawDepsOfCmdFile(cmdText), // as the compiler named them; normalized when read back
  };
  rmSync(output, { force: true });
  writeFileAtomic(cacheFileOf(paths, object), JSON.stringify(entry));
  return {
    object,
    command: parseUnitCommand(cmdLine, name),
    sha256: entry.sha256,
    reads: entry.reads.map((r) => normalize(r)),
    climbs: parentRelative(entry.reads),
  };
}

export interface PreprocessOptions {
  logFile?: string;
  jobs: number;
  /** Called after each batch with how many units are done. */
  progress?: (done: number, total: number) => void;
}

/** How many units one make invocation preprocesses (progress is reported per batch). */
const BATCH = 48;

/**
 * Preprocesses `objects` in the pristine tree (cached per target). Units the preprocessor
 * fails on are missing from the result: the caller must treat them as affected.
 */
export async function preprocessPristine(
  paths: TargetPaths,
  objects: string[],
  options: PreprocessOptions,
): Promise<Map<string, PreprocessedUnit>> {
  const result = new Map<string, PreprocessedUnit>();
  const missing: string[] = [];
  for (const object of objects) {
    const hit = fromCache(paths, object);
    if (hit) result.set(object, hit);
    else missing.push(object);
  }
  options.progress?.(result.size, objects.length);
  for (let i = 0; i < missing.length; i += BATCH) {
    const batch = missing.slice(i, i + BATCH);
    await withLock(
      treeLockPath(paths),
      async () => {
        const todo = batch.filter((o) => !fromCache(paths, o));
        if (todo.length > 0) {
          // -k: one unit that does not preprocess on its own must not hide the others.
          await run(
            "make",
            [
              "-C",
              paths.tree,
              "-k",
              `-j${options.jobs}`,
              `KCFLAGS=${SECTION_FLAGS}`,
              ...todo.map(preprocessedName),
            ],
            { logFile: options.logFile, what: `preprocessing ${todo.length} units in the target's tree` },
          ).catch(() => undefined);
        }
        for (const object of batch) {
          const unit = fromCache(paths, object) ?? harvest(paths, object);
          if (unit) result.set(object, unit);
        }
      },
      { what: `the target tree ${paths.tree}` },
    );
    options.progress?.(result.size, objects.length);
  }
  return result;
}

/**
 * The hash of `unit` preprocessed from the scratch view (the fixed source), or undefined when
 * the preprocessor fails there (the caller then keeps the unit: the compile will tell).
 */
export async function preprocessedHashInView(
  viewDir: string,
  unit: PreprocessedUnit,
  outputPath: string,
  logFile?: string,
): Promise<string | undefined> {
  mkdirSync(dirname(outputPath), { recursive: true });
  // The caller realized unit.climbs in the view first (fix.ts realizeParentReferences).
  const [argv] = retarget(unit.command, outputPath);
  const [program, ...args] = argv ?? [];
  if (!program) return undefined;
  try {
    await run(program, args, {
      cwd: viewDir,
      logFile,
      what: `preprocessing the fixed ${unit.command.source}`,
    });
    return preprocessedHash(readFileSync(outputPath, "latin1"));
  } catch {
    return undefined;
  } finally {
    rmSync(outputPath, { force: true });
  }
}
