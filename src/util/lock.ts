// SPDX-License-Identifier: GPL-2.0-only
// An advisory lock file holding the owner's pid. A lock whose owner is dead is stale and is
// taken over, so a killed hotpatch never blocks the next one forever. A process that waits for
// one lock several times (a build waits for the target tree once per unit it compiles) says
// so once, not at every wait.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { UserError } from "../errors/user-error.ts";
import { cacheRoot } from "./cache.ts";
import { isPidAlive } from "./processes.ts";
import { note } from "./progress.ts";

function ownerAlive(lockPath: string): boolean {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(lockPath, "utf8"), 10);
  } catch {
    return true; // being written right now: treat as held
  }
  return Number.isFinite(pid) && pid > 0 && isPidAlive(pid);
}

function tryTake(lockPath: string): boolean {
  try {
    const fd = openSync(lockPath, "wx");
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    if (!ownerAlive(lockPath)) rmSync(lockPath, { force: true });
    return false;
  }
}

const CACHE_HINT = "set HOTPATCH_CACHE to a directory this user can write";

/** Why a lock file cannot be created, by errno, when the cause is the path, not hotpatch. */
const CANNOT_CREATE: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "the filesystem is read-only",
  ENOTDIR: "a part of its path is not a directory",
  EEXIST: "a part of its path is not a directory", // mkdir of a name that is a file
  ENOSPC: "no space left on the device",
};

/**
 * Makes the lock's directory and tries to take it. A lock this user cannot create is a
 * UserError (the usual cause: a cache or /run directory owned by root), not a crash.
 */
function tryTakeOrExplain(lockPath: string, what: string, hint: string | undefined): boolean {
  try {
    mkdirSync(dirname(lockPath), { recursive: true });
    return tryTake(lockPath);
  } catch (error) {
    const why = CANNOT_CREATE[(error as NodeJS.ErrnoException).code ?? ""];
    if (!why) throw error;
    const fix = hint ?? (lockPath.startsWith(cacheRoot()) ? CACHE_HINT : undefined);
    throw new UserError(`Cannot take the lock on ${what} (${lockPath}): ${why}${fix ? `; ${fix}` : ""}.`);
  }
}

/** Locks this process has already said it waits for. */
const announced = new Set<string>();

export interface LockOptions {
  timeoutMs?: number;
  /** What the lock protects, for messages. */
  what?: string;
  /** How to fix a lock that cannot be created (default: for the cache, HOTPATCH_CACHE). */
  hint?: string;
}

/** Runs `work` holding `lockPath`; waits up to `timeoutMs` for another holder to finish. */
export async function withLock<T>(
  lockPath: string,
  work: () => Promise<T>,
  { timeoutMs = 30 * 60_000, what = "this resource", hint }: LockOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (!tryTakeOrExplain(lockPath, what, hint)) {
    if (Date.now() > deadline) {
      throw new UserError(
        `Timed out waiting for another hotpatch process holding the lock on ${what} (${lockPath}).`,
      );
    }
    if (!announced.has(lockPath)) {
      note(`waiting for another hotpatch process that holds the lock on ${what} ...`);
      announced.add(lockPath);
    }
    await sleep(200);
  }
  try {
    return await work();
  } finally {
    rmSync(lockPath, { force: true });
  }
}
