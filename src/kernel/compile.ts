// SPDX-License-Identifier: GPL-2.0-only
// Compiling one compilation unit twice, the same way: pristine in the target's tree through
// kbuild (under the tree's lock; the object and kbuild's exact command are cached per
// target), and patched by replaying that very command (compiler flags, then objtool) from the
// scratch view, so both objects differ only by the fix.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../util/atomic.ts";
import { withLock } from "../util/lock.ts";
import { run } from "../util/run.ts";
import { refreshScratchView } from "./fix.ts";
import { cmdFileOf, parseUnitCommand, retarget, type UnitCommand } from "./kbuild-cmd.ts";
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

/** Compiles `object` (e.g. `net/unix/af_unix.o`) in the pristine tree, or returns the cached copy. */
export async function compilePristine(
  paths: TargetPaths,
  object: string,
  logFile?: string,
): Promise<PristineUnit> {
  const cachedObject = join(objectCacheDir(paths), object);
  const cachedCmd = `${cachedObject}.cmd`;
  const fromCache = (): PristineUnit | undefined => {
    if (!existsSync(cachedObject) || !existsSync(cachedCmd)) return undefined;
    const command = parseUnitCommand(readFileSync(cachedCmd, "utf8"), object);
    return { objectPath: cachedObject, command, cached: true };
  };
  const hit = fromCache();
  if (hit) return hit;
  return withLock(
    treeLockPath(paths),
    async () => {
      const again = fromCache(); // another process may have built it while we waited
      if (again) return again;
      await run("make", ["-C", paths.tree, "-j2", `KCFLAGS=${SECTION_FLAGS}`, object], {
        logFile,
        what: `compiling ${object} in the target's tree`,
      });
      const cmdText = readFileSync(join(paths.tree, cmdFileOf(object)), "utf8");
      const command = parseUnitCommand(cmdText, object);
      if (!command.compile.includes("-ffunction-sections")) {
        throw new Error(`kbuild did not use ${SECTION_FLAGS} for ${object} (stale .cmd?)`);
      }
      mkdirSync(dirname(cachedObject), { recursive: true });
      const partial = `${cachedObject}.partial-${process.pid}`;
      copyFileSync(join(paths.tree, object), partial);
      // Object first, .cmd last: the .cmd's presence marks the cache entry complete.
      renameSync(partial, cachedObject);
      writeFileAtomic(cachedCmd, cmdText);
      return { objectPath: cachedObject, command, cached: false };
    },
    { what: `the target tree ${paths.tree}` },
  );
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
): Promise<void> {
  mkdirSync(dirname(outputPath), { recursive: true });
  // The pristine make may have generated headers next to the sources since the view was made.
  refreshScratchView(viewDir);
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
