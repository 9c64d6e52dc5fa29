// SPDX-License-Identifier: GPL-2.0-only
// A signal to hotpatch kills the tools it runs together with their own children (dpkg-deb's
// tar, make's gcc), and hotpatch exits only once they are gone, dying of the same signal.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { groupHasLiveMembers } from "../../../src/util/reaper.ts";
import { scratchDir } from "../../helpers/scratch.ts";

async function waitForFile(path: string): Promise<string> {
  for (let i = 0; i < 500; i++) {
    if (existsSync(path)) {
      const text = readFileSync(path, "utf8").trim();
      if (text) return text;
    }
    await sleep(20);
  }
  throw new Error(`${path} never appeared`);
}

function killGroupQuietly(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // already gone
  }
}

for (const signal of ["SIGTERM", "SIGINT", "SIGQUIT"] as const) {
  test(`${signal} to hotpatch kills a running tool's whole process group before it dies`, async () => {
    let pgid = 0;
    const dir = scratchDir("hotpatch-reaper");
    try {
      const pidFile = join(dir, "pgid");
      const script = new URL("./run-forking-tool.ts", import.meta.url).pathname;
      const child = spawn(process.execPath, ["--import", "tsx", script, pidFile], { stdio: "ignore" });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_c, s) => resolve(s)));
      pgid = Number(await waitForFile(pidFile));
      assert.ok(groupHasLiveMembers(pgid), "the tool and its forked child run in their own group");
      child.kill(signal);
      assert.equal(await exited, signal, "hotpatch dies of the signal it got");
      assert.equal(groupHasLiveMembers(pgid), false, "no process of the tool's group is left");
    } finally {
      if (pgid) killGroupQuietly(pgid); // a failed run must not leave its sleep behind
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("a group with no process is dead; this test's own group is alive", () => {
  assert.equal(groupHasLiveMembers(process.pid + 10_000_000), false);
  const ownGroup = Number(readFileSync("/proc/self/stat", "utf8").split(") ")[1]?.split(" ")[2]);
  assert.ok(groupHasLiveMembers(ownGroup));
});

for (const mode of ["guarded", "unguard"] as const) {
  test(`a clean-up registered with guardCleanUp ${mode === "guarded" ? "runs" : "no longer runs once unregistered"} when hotpatch gets SIGTERM`, async () => {
    const dir = scratchDir("hotpatch-guard");
    const marker = join(dir, "marker");
    const ready = join(dir, "ready");
    const script = new URL("./guard-cleanup.ts", import.meta.url).pathname;
    const child = spawn(process.execPath, ["--import", "tsx", script, marker, ready, mode], {
      stdio: "ignore",
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_c, s) => resolve(s)));
    await waitForFile(ready);
    child.kill("SIGTERM");
    assert.equal(await exited, "SIGTERM", "it dies of the signal");
    assert.equal(existsSync(marker), mode === "guarded");
  });
}
