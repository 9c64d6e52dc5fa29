// SPDX-License-Identifier: GPL-2.0-only
// The advisory lock: a live owner is waited for, a dead one's lock is taken over, and a
// process that waits for the same lock again and again (a build, once per unit) says so once.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { withLock } from "../../../src/util/lock.ts";
import { scratchDir } from "../../helpers/scratch.ts";

/** Another process that "holds" the lock: its pid is in the lock file until it is killed. */
function holdLock(lockPath: string): ChildProcess {
  const holder = spawn("sleep", ["60"], { stdio: "ignore" });
  writeFileSync(lockPath, String(holder.pid));
  return holder;
}

/** Runs `work` with everything written to stderr captured. */
async function capturingStderr(work: () => Promise<void>): Promise<string> {
  const original = process.stderr.write.bind(process.stderr);
  let text = "";
  process.stderr.write = ((chunk: string | Uint8Array) => {
    text += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    await work();
  } finally {
    process.stderr.write = original;
  }
  return text;
}

test("waiting for a lock held by a live process is said once per lock, however often it is waited for", async () => {
  const lockPath = join(scratchDir("lock"), "tree.lock");
  const previousQuiet = process.env.HOTPATCH_QUIET;
  delete process.env.HOTPATCH_QUIET;
  const order: string[] = [];
  const stderr = await capturingStderr(async () => {
    for (const unit of ["a.o", "b.o", "c.o"]) {
      const holder = holdLock(lockPath);
      setTimeout(() => holder.kill("SIGKILL"), 500);
      await withLock(
        lockPath,
        async () => {
          order.push(unit);
          assert.ok(existsSync(lockPath), "held while the work runs");
        },
        { what: "the target tree" },
      );
      await sleep(10);
    }
  });
  if (previousQuiet !== undefined) process.env.HOTPATCH_QUIET = previousQuiet;
  assert.deepEqual(order, ["a.o", "b.o", "c.o"]);
  assert.equal(existsSync(lockPath), false, "released after the work");
  const waits = stderr.split("\n").filter((l) => l.includes("waiting for another hotpatch process"));
  assert.deepEqual(waits, [
    "waiting for another hotpatch process that holds the lock on the target tree ...",
  ]);
});
