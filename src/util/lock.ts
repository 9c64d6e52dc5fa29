// SPDX-License-Identifier: GPL-2.0-only
// An advisory lock file holding the owner's pid. A lock whose owner is dead is stale and is
// taken over, so a killed hotpatch never blocks the next one forever.
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { UserError } from "../errors/user-error.ts";
import { note } from "./progress.ts";

function ownerAlive(lockPath: string): boolean {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(lockPath, "utf8"), 10);
  } catch {
    return true; // being written right now: treat as held
  }
  if (!Number.isFinite(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
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

/** Runs `work` holding `lockPath`; waits up to `timeoutMs` for another holder to finish. */
export async function withLock<T>(
  lockPath: string,
  work: () => Promise<T>,
  { timeoutMs = 30 * 60_000, what = "this resource" }: { timeoutMs?: number; what?: string } = {},
): Promise<T> {
  mkdirSync(dirname(lockPath), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  while (!tryTake(lockPath)) {
    if (Date.now() > deadline) {
      throw new UserError(`Timed out waiting for another hotpatch process holding the lock on ${what} (${lockPath}).`);
    }
    if (!announced) {
      note(`waiting for another hotpatch process that holds the lock on ${what} ...`);
      announced = true;
    }
    await sleep(200);
  }
  try {
    return await work();
  } finally {
    rmSync(lockPath, { force: true });
  }
}
