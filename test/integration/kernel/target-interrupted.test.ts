// SPDX-License-Identifier: GPL-2.0-only
// A prepare killed half-way is never taken as complete: no target.json, `target list` shows
// nothing, and the lock it held is stale (its owner is dead), so the next prepare can start.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { execa } from "execa";
import { hotpatch, hotpatchBin } from "../../helpers/cli.ts";
import { processesUsing } from "../../helpers/processes.ts";
import { scratchDir } from "../../helpers/scratch.ts";

test("a prepare killed while unpacking leaves no prepared target, no running tool and a stale lock", async () => {
  const cache = scratchDir("hotpatch-cache");
  const root = join(cache, "targets", "debian", "6.1.0-50-amd64");
  try {
    const child = execa(process.execPath, [hotpatchBin, "target", "prepare"], {
      env: { HOTPATCH_CACHE: cache },
      reject: false,
      stdin: "ignore",
    });
    let stderr = "";
    await new Promise<void>((resolve, reject) => {
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        // Killed once it is unpacking the source: the target directory exists, half-filled.
        if (/• unpack the kernel source/.test(stderr)) resolve();
      });
      child.on("exit", () => reject(new Error(`prepare ended before unpacking:\n${stderr}`)));
    });
    child.kill("SIGTERM");
    const result = await child;
    assert.ok(result.signal === "SIGTERM" || result.exitCode !== 0, "the prepare failed");
    assert.deepEqual(processesUsing(cache), [], "no tool of the prepare (tar, dpkg-deb, QEMU) outlives it");
    assert.ok(existsSync(root), "the half-prepared directory is there");
    assert.ok(!existsSync(join(root, "target.json")), "but it has no manifest");

    const lock = `${root}.lock`;
    if (existsSync(lock)) {
      const owner = Number.parseInt(readFileSync(lock, "utf8"), 10);
      assert.throws(() => process.kill(owner, 0), "the lock's owner is dead, so the lock is stale");
    }
    const list = await hotpatch(["target", "list", "--json"], { env: { HOTPATCH_CACHE: cache } });
    assert.deepEqual(JSON.parse(list.stdout), { targets: [] });
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
