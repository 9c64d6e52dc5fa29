// SPDX-License-Identifier: GPL-2.0-only
// Benchmark: read and write back the 20 largest objects available (peer corpus, the target's
// cached pristine objects, and any .o given as arguments), next to `objcopy IN OUT` of the
// same files. Prints per-file and total times and the ratio hotpatch/objcopy.
// Run: npx tsx bench/elf-roundtrip.ts [extra.o ...]
//
// hotpatch is timed in-process (readFileSync + readElf + writeElf + writeFileSync), as the
// later stages use it; objcopy is timed as the process it is (exec included), so the table
// also shows a fresh-layout write (what an edited object costs) for a fairer comparison.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { readElf, writeElf } from "../src/elf/index.ts";
import { cacheRoot } from "../src/util/cache.ts";
import { peerObjects } from "../test/unit/elf/helpers.ts";

function findObjects(dir: string, found: string[] = []): string[] {
  if (!existsSync(dir)) return found;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) findObjects(path, found);
    else if (entry.name.endsWith(".o")) found.push(path);
  }
  return found;
}

function isElfRelX8664(path: string): boolean {
  try {
    readElf(readFileSync(path));
    return true;
  } catch {
    return false;
  }
}

function best(runs: number, fn: () => void): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

const candidates = [
  ...peerObjects(),
  ...findObjects(join(cacheRoot(), "targets")).filter((p) => p.includes("/objects/")),
  ...process.argv.slice(2),
];
const files = [...new Set(candidates)]
  .filter(isElfRelX8664)
  .map((path) => ({ path, size: statSync(path).size }))
  .sort((a, b) => b.size - a.size)
  .slice(0, 20);
const out = mkdtempSync(join(tmpdir(), "hotpatch-bench-elf-"));
const runs = 5;
let totalOurs = 0;
let totalFresh = 0;
let totalObjcopy = 0;
// Warm the JIT on every file once so the first row is not paying for compilation.
for (const { path } of files) writeElf(readElf(readFileSync(path)));
console.log(`best of ${runs} runs, milliseconds`);
console.log(
  `${"object".padEnd(48)} ${"bytes".padStart(9)} ${"hotpatch".padStart(9)} ${"fresh".padStart(9)} ${"objcopy".padStart(9)} ${"ratio".padStart(6)}`,
);
for (const { path, size } of files) {
  const target = join(out, "ours.o");
  const ours = best(runs, () => writeFileSync(target, writeElf(readElf(readFileSync(path)))));
  if (!readFileSync(target).equals(readFileSync(path)))
    throw new Error(`${path}: round trip is not byte-identical`);
  const fresh = best(runs, () => {
    const obj = readElf(readFileSync(path));
    obj.source = null;
    writeFileSync(target, writeElf(obj));
  });
  const objcopy = best(runs, () => {
    const r = spawnSync("objcopy", [path, join(out, "objcopy.o")]);
    if (r.status !== 0) throw new Error(`objcopy failed on ${path}: ${r.stderr}`);
  });
  totalOurs += ours;
  totalFresh += fresh;
  totalObjcopy += objcopy;
  console.log(
    `${basename(path).slice(0, 48).padEnd(48)} ${String(size).padStart(9)} ${ours.toFixed(2).padStart(9)} ${fresh.toFixed(2).padStart(9)} ${objcopy.toFixed(2).padStart(9)} ${(ours / objcopy).toFixed(2).padStart(6)}`,
  );
}
console.log(
  `${"total".padEnd(48)} ${"".padStart(9)} ${totalOurs.toFixed(1).padStart(9)} ${totalFresh.toFixed(1).padStart(9)} ${totalObjcopy.toFixed(1).padStart(9)} ${(totalOurs / totalObjcopy).toFixed(2).padStart(6)}`,
);
console.log(
  `hotpatch/objcopy: ${(totalOurs / totalObjcopy).toFixed(2)} (unchanged layout), ${(totalFresh / totalObjcopy).toFixed(2)} (fresh layout)`,
);
rmSync(out, { recursive: true, force: true });
