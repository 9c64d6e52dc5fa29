// SPDX-License-Identifier: GPL-2.0-only
// Cold and warm times of the build front end (fix -> pristine/fixed objects) for a one-file
// fix on the reference target. "Cold" uses a unit never compiled in the tree before (picked
// from a list, or given as argv[2]); "warm" repeats the same fix with the pristine object cached.
// Usage: npx tsx bench/build-inputs.ts [path/to/unit.c]
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFixes } from "../src/build/fixes.ts";
import { prepareUnits } from "../src/build/inputs.ts";
import { prepareTarget } from "../src/kernel/prepare.ts";
import { DEFAULT_TARGET, parseTargetName } from "../src/kernel/target-layout.ts";

const CANDIDATES = [
  "fs/proc/uptime.c",
  "fs/proc/loadavg.c",
  "fs/proc/version.c",
  "net/ipv4/ping.c",
  "fs/proc/softirqs.c",
  "net/ipv4/raw.c",
];

const paths = await prepareTarget(parseTargetName(DEFAULT_TARGET));
const source =
  process.argv[2] ?? CANDIDATES.find((c) => !existsSync(join(paths.tree, c.replace(/\.c$/, ".o"))));
if (!source)
  throw new Error("every candidate unit is already compiled: pass an uncompiled unit as an argument");
const dir = mkdtempSync(join(tmpdir(), "hotpatch-bench-"));
const fix = join(dir, "fix.patch");
const first = readFileSync(join(paths.tree, source), "utf8").split("\n")[0];
writeFileSync(fix, `--- a/${source}\n+++ b/${source}\n@@ -1 +1,2 @@\n+/* hotpatch bench */\n ${first}\n`);

async function timed(label: string): Promise<number> {
  const started = performance.now();
  const inputs = await prepareUnits(paths, readFixes([fix]));
  const ms = performance.now() - started;
  console.log(
    `${label}: ${(ms / 1000).toFixed(2)} s (${inputs.units.map((u) => `${u.object} -> ${u.klpObject}`).join(", ")})`,
  );
  inputs.cleanup();
  return ms;
}

console.log(`unit: ${source}`);
await timed("cold (pristine compiled in the tree + fixed compile)");
await timed("warm (pristine cached, fixed compile only)");
await timed("warm again");
rmSync(dir, { recursive: true, force: true });
