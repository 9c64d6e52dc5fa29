// SPDX-License-Identifier: GPL-2.0-only
// Benchmark: diff time per pair of the kpatch unit-test corpus (../shared/peer/kpatch-unit-objs)
// next to the object sizes, and the total (read + diff). Aim: the whole corpus in <= 1.5 s.
// Run: npx tsx bench/diff-peer.ts [--verbose]
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { diffObjects, entrySizesFromEnv } from "../src/diff/index.ts";
import { readElf } from "../src/elf/index.ts";

const dir = fileURLToPath(new URL("../../shared/peer/kpatch-unit-objs/x86_64", import.meta.url));
const verbose = process.argv.includes("--verbose");
const cases = readdirSync(dir)
  .filter((f) => f.endsWith(".ORIG.o"))
  .map((f) => f.slice(0, -".ORIG.o".length))
  .sort();

function envOf(name: string): Record<string, string> {
  try {
    const text = readFileSync(join(dir, `${name}.env`), "utf8");
    return Object.fromEntries(
      text
        .split("\n")
        .filter((l) => l.includes("="))
        .map((l) => l.split("=", 2) as [string, string]),
    );
  } catch {
    return {};
  }
}

interface Pass {
  readMs: number;
  diffMs: number;
  rows: string[];
}

function pass(): Pass {
  let readMs = 0;
  let diffMs = 0;
  const rows: string[] = [];
  for (const name of cases) {
    const patchedFile = readdirSync(dir).find((f) => f.startsWith(`${name}.PATCHED`)) as string;
    const a = readFileSync(join(dir, `${name}.ORIG.o`));
    const b = readFileSync(join(dir, patchedFile));
    const t0 = performance.now();
    const orig = readElf(a);
    const patched = readElf(b);
    const t1 = performance.now();
    const result = diffObjects(orig, patched, { entrySizes: entrySizesFromEnv(envOf(name)) });
    const t2 = performance.now();
    readMs += t1 - t0;
    diffMs += t2 - t1;
    const fns = result.functions
      .filter((f) => f.status === "changed" || f.status === "new")
      .map((f) => `${f.status === "new" ? "+" : ""}${f.name}`);
    rows.push(
      `${name.padEnd(44)} ${String(a.length + b.length).padStart(9)} B  read ${(t1 - t0).toFixed(1).padStart(6)} ms  diff ${(t2 - t1).toFixed(1).padStart(6)} ms  ${result.verdict.padEnd(10)}${verbose ? ` ${fns.join(",")}` : ""}`,
    );
  }
  return { readMs, diffMs, rows };
}

const totalBytes = cases.reduce((sum, name) => {
  const patchedFile = readdirSync(dir).find((f) => f.startsWith(`${name}.PATCHED`)) as string;
  return sum + statSync(join(dir, `${name}.ORIG.o`)).size + statSync(join(dir, patchedFile)).size;
}, 0);
const first = pass();
const second = pass();
console.log(second.rows.join("\n"));
const line = (label: string, p: Pass) =>
  `${label}: read ${p.readMs.toFixed(0)} ms + diff ${p.diffMs.toFixed(0)} ms = ${(p.readMs + p.diffMs).toFixed(0)} ms`;
console.log(`${cases.length} pairs, ${(totalBytes / 1e6).toFixed(1)} MB`);
console.log(line("first pass (cold JIT)", first));
console.log(line("second pass", second));
