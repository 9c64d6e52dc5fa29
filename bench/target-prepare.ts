// SPDX-License-Identifier: GPL-2.0-only
// Benchmark of `hotpatch target prepare` through the built CLI: cold (an empty, temporary
// HOTPATCH_CACHE: download, unpack, configure, make prepare, VM boot for kallsyms), warm (the
// same again: must be instant) and the cache's size. A second prepare of the same target is
// started while the cold one runs, to show it waits on the lock and then reuses the result.
// Usage: npm run build && npx tsx bench/target-prepare.ts [debian:<abi>] [--keep]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

const args = process.argv.slice(2);
const keep = args.includes("--keep");
const target = args.find((a) => !a.startsWith("--")) ?? "debian:6.1.0-50-amd64";
const bin = new URL("../bin/hotpatch.js", import.meta.url).pathname;
const cache = mkdtempSync(join(process.env.HOTPATCH_BENCH_DIR ?? tmpdir(), "hotpatch-bench-"));
const env = { ...process.env, HOTPATCH_CACHE: cache };

interface Run {
  seconds: number;
  exitCode: number;
  stdout: string;
  stderr: string;
}

async function prepare(): Promise<Run> {
  const started = performance.now();
  const r = await execa(process.execPath, [bin, "target", "prepare", target, "--json"], {
    env,
    reject: false,
  });
  return {
    seconds: (performance.now() - started) / 1000,
    exitCode: r.exitCode ?? 1,
    stdout: r.stdout,
    stderr: r.stderr,
  };
}

function check(run: Run, what: string): { reused: boolean; root: string } {
  if (run.exitCode !== 0) {
    process.stderr.write(run.stderr);
    throw new Error(`${what} prepare failed (exit ${run.exitCode}); cache kept at ${cache}`);
  }
  return JSON.parse(run.stdout);
}

function du(path: string): string {
  return execFileSync("du", ["-sh", path], { encoding: "utf8" }).split("\t")[0] ?? "?";
}

const fmt = (s: number) => `${s.toFixed(1)} s`;

try {
  console.log(`target prepare benchmark: ${target}, cache ${cache}, ${new Date().toISOString()}`);
  const cold = prepare();
  // A concurrent prepare of the same target, started once the cold one holds the lock.
  await new Promise((r) => setTimeout(r, 3000));
  const concurrent = prepare();
  const [coldRun, concurrentRun] = await Promise.all([cold, concurrent]);
  const coldResult = check(coldRun, "cold");
  const concurrentResult = check(concurrentRun, "concurrent");
  const warmRun = await prepare();
  const warmResult = check(warmRun, "warm");

  const manifest = JSON.parse(readFileSync(join(coldResult.root, "target.json"), "utf8"));
  console.log(
    "\ncold prepare steps (from target.json; the image/VM chain runs beside the source/make chain):",
  );
  for (const step of manifest.steps as Array<{ name: string; ms: number }>) {
    console.log(`  ${fmt(step.ms / 1000).padStart(8)}  ${step.name}`);
  }
  console.log("");
  console.log(`cold prepare (empty cache):       ${fmt(coldRun.seconds)}  reused=${coldResult.reused}`);
  console.log(
    `concurrent prepare (same target): ${fmt(concurrentRun.seconds)}  reused=${concurrentResult.reused} (waited on the lock)`,
  );
  console.log(`warm prepare:                     ${fmt(warmRun.seconds)}  reused=${warmResult.reused}`);
  console.log(
    `packages downloaded:              ${(manifest.downloaded as string[]).length} (${manifest.version})`,
  );
  console.log(`cache size:                       ${du(cache)} total`);
  console.log(`  downloads (.deb, shared):       ${du(join(cache, "downloads"))}`);
  console.log(
    `  target ${target}:  ${du(coldResult.root)} (tree ${du(join(coldResult.root, "tree"))}, image ${du(join(coldResult.root, "image"))})`,
  );
} finally {
  if (!keep) rmSync(cache, { recursive: true, force: true });
}
