// SPDX-License-Identifier: GPL-2.0-only
// Compiling one compilation unit twice, the same way: pristine in the target's tree through
// kbuild (under the tree's lock; the object and kbuild's exact command are cached per
// target), and patched by replaying that very command (compiler flags, then objtool) from the
// scratch view, so both objects differ only by the fix.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { UserError } from "../errors/user-error.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { withLock } from "../util/lock.ts";
import { run } from "../util/run.ts";
import { realizeParentReferences, refreshScratchView } from "./fix.ts";
import {
  cmdFileOf,
  depsOfCmdFile,
  parentRelative,
  parseUnitCommand,
  rawDepsOfCmdFile,
  retarget,
  type UnitCommand,
} from "./kbuild-cmd.ts";
import type { TargetPaths } from "./target-layout.ts";

/** What hotpatch adds to the target's flags, so every function and object has its own section. */
export const SECTION_FLAGS = "-ffunction-sections -fdata-sections";

/** Bump when the way pristine objects are made changes, to ignore older cached objects. */
const OBJECT_CACHE_VERSION = "v1";

export interface PristineUnit {
  /** Cached pristine object (absolute path; do not modify). */
  objectPath: string;
  /** kbuild's command for it, parsed from the .cmd file. */
  command: UnitCommand;
  /** True when it came from the cache without running make. */
  cached: boolean;
  /** Tree-relative files the compiler read (kbuild's dependency list). */
  reads: string[];
  /** Those it named through `..` (`fs/iomap/../internal.h`): see realizeParentReferences. */
  climbs: string[];
}

/**
 * The lock serialising every `make` inside a target's tree: the only step of a build that
 * writes there (objects, .cmd files, the prepare steps every make may redo). Fixed compiles
 * run in each build's own scratch view and module links in its own work directory, unlocked,
 * so builds of one target run side by side except while compiling an uncached pristine unit.
 */
export function treeLockPath(paths: TargetPaths): string {
  return join(paths.root, "tree.lock");
}

export function objectCacheDir(paths: TargetPaths): string {
  return join(paths.root, "objects", OBJECT_CACHE_VERSION);
}

function readsOf(cmdText: string): { reads: string[]; climbs: string[] } {
  return { reads: depsOfCmdFile(cmdText), climbs: parentRelative(rawDepsOfCmdFile(cmdText)) };
}

function cachedPristine(paths: TargetPaths, object: string): PristineUnit | undefined {
  const cachedObject = join(objectCacheDir(paths), object);
  const cachedCmd = `${cachedObject}.cmd`;
  if (!existsSync(cachedObject) || !existsSync(cachedCmd)) return undefined;
  const cmdText = readFileSync(cachedCmd, "utf8");
  const command = parseUnitCommand(cmdText, object);
  return { objectPath: cachedObject, command, cached: true, ...readsOf(cmdText) };
}

/**
 * A unit whose Makefile replaces the kernel's flags (kbuild drops KCFLAGS there): the EFI stub
 * and the boot decompressor, which run before the kernel, and the real-mode trampoline, which
 * the kernel carries as a binary blob. None is a function livepatch can redirect, and without
 * one section per function it cannot be compared function by function either: refused, since
 * which of those cases a unit is cannot be told from its object.
 */
export class OwnFlagsUnitError extends UserError {
  constructor(object: string) {
    super(
      `${object} is built with its own compiler flags, without ${SECTION_FLAGS} (as the EFI stub, the boot decompressor and the real-mode trampoline are): its code runs before the kernel or is carried in it as a binary blob, out of livepatch's reach; a fix there takes effect at the next boot`,
    );
  }
}

/** Copies what kbuild just built for `object` into the cache (object first, .cmd last). */
function cacheBuilt(paths: TargetPaths, object: string): PristineUnit | UserError {
  const cachedObject = join(objectCacheDir(paths), object);
  const cmdText = readFileSync(join(paths.tree, cmdFileOf(object)), "utf8");
  const command = parseUnitCommand(cmdText, object);
  if (!command.compile.includes("-ffunction-sections")) return new OwnFlagsUnitError(object);
  mkdirSync(dirname(cachedObject), { recursive: true });
  const partial = `${cachedObject}.partial-${process.pid}`;
  copyFileSync(join(paths.tree, object), partial);
  // The .cmd's presence marks the cache entry complete.
  renameSync(partial, cachedObject);
  writeFileAtomic(`${cachedObject}.cmd`, cmdText);
  return { objectPath: cachedObject, command, cached: false, ...readsOf(cmdText) };
}

/** Compiles `object` (e.g. `net/unix/af_unix.o`) in the pristine tree, or returns the cached copy. */
export async function compilePristine(
  paths: TargetPaths,
  object: string,
  logFile?: string,
): Promise<PristineUnit> {
  const result = (await compilePristineBatch(paths, [object], { logFile, jobs: 2 })).get(object);
  if (result instanceof Error) throw result;
  return result as PristineUnit;
}

/**
 * Compiles several objects in the pristine tree with one `make -k -jN` (kbuild runs them in
 * parallel), under the tree's lock; cached objects are not rebuilt. Each object maps to its
 * unit, or to the error that kept it from being built (the make log names the cause).
 */
export async function compilePristineBatch(
  paths: TargetPaths,
  objects: string[],
  options: { logFile?: string; jobs: number; progress?: (done: number) => void },
): Promise<Map<string, PristineUnit | UserError>> {
  const result = new Map<string, PristineUnit | UserError>();
  const missing = objects.filter((o) => {
    const hit = cachedPristine(paths, o);
    if (hit) result.set(o, hit);
    return !hit;
  });
  options.progress?.(result.size);
  if (missing.length === 0) return result;
  await withLock(
    treeLockPath(paths),
    async () => {
      const todo = missing.filter((o) => {
        const hit = cachedPristine(paths, o); // another process may have built it meanwhile
        if (hit) result.set(o, hit);
        return !hit;
      });
      if (todo.length === 0) return;
      const watch = watchObjects(paths.tree, todo, (built) => options.progress?.(result.size + built));
      const failure = await run(
        "make",
        ["-C", paths.tree, "-k", `-j${options.jobs}`, `KCFLAGS=${SECTION_FLAGS}`, ...todo],
        {
          logFile: options.logFile,
          what: `compiling ${todo.length === 1 ? todo[0] : `${todo.length} units`} in the target's tree`,
        },
      ).then(
        () => undefined,
        (error: unknown) => error,
      );
      watch.stop();
      for (const o of todo) {
        const built = existsSync(join(paths.tree, cmdFileOf(o))) && existsSync(join(paths.tree, o));
        if (built) result.set(o, cacheBuilt(paths, o));
        else
          result.set(
            o,
            failure instanceof UserError
              ? failure
              : new UserError(`compiling ${o} in the target's tree failed.`),
          );
        options.progress?.(result.size);
      }
    },
    { what: `the target tree ${paths.tree}` },
  );
  return result;
}

/**
 * One make run compiles a whole batch (hundreds of units for an update) and only tells when it
 * ends, so while it runs the tree is polled for the batch's objects written since it started.
 */
function watchObjects(tree: string, objects: string[], report: (built: number) => void) {
  const started = Date.now();
  const done = new Set<string>();
  const timer = setInterval(() => {
    for (const o of objects) {
      if (done.has(o)) continue;
      const mtime = statSync(join(tree, o), { throwIfNoEntry: false })?.mtimeMs ?? 0;
      if (mtime >= started) done.add(o);
    }
    report(done.size);
  }, 5_000);
  return { stop: () => clearInterval(timer) };
}

/**
 * Replays kbuild's command for a unit from `viewDir` (the scratch view holding the fixed
 * source), writing the object to `outputPath`. Relative paths in the command resolve inside
 * the view exactly as they did in the tree.
 */
export async function compilePatched(
  viewDir: string,
  command: UnitCommand,
  outputPath: string,
  logFile?: string,
  climbs: string[] = [],
): Promise<void> {
  mkdirSync(dirname(outputPath), { recursive: true });
  // The pristine make may have generated headers next to the sources since the view was made.
  refreshScratchView(viewDir);
  realizeParentReferences(viewDir, climbs);
  for (const argv of retarget(command, outputPath)) {
    const [program, ...args] = argv;
    if (!program) continue;
    await run(program, args, {
      cwd: viewDir,
      logFile,
      what: `compiling the fixed ${command.source} (${program})`,
    });
  }
}

/** True when the unit's flags include ftrace's entry call (-mfentry); without it nothing in the
 * unit can be redirected by livepatch (e.g. lib/ and kernel/trace/ remove CC_FLAGS_FTRACE). */
export function hasFtrace(command: UnitCommand): boolean {
  return command.compile.includes("-mfentry") || command.compile.includes("-pg");
}
