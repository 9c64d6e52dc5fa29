// SPDX-License-Identifier: GPL-2.0-only
// Benchmark: diff time per pair of the kpatch unit-test corpus (../shared/peer/kpatch-unit-objs)
// next to the object sizes, and the total (read + diff). Aim: the whole corpus in <= 1.5 s.
// Run: npx tsx bench/diff-peer.ts [--verbose]
import { readdirSync, readFileSync } from "node:fs";
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

let total = 0;
let totalBytes = 0;
const rows: string[] = [];
for (const name of cases) {
  const patchedFile = readdirSync(dir).find((f) => f.startsWith(`${name}.PATCHED`)) as string;
  const a = readFileSync(join(dir, `${name}.ORIG.o`));
  const b = readFileSync(join(dir, patchedFile));
  const t0 = performance.now();
  const result = diffObjects(readElf(a), readElf(b), { entrySizes: entrySizesFromEnv(envOf(name)) });
  const ms = performance.now() - t0;
  total += ms;
  totalBytes += a.length + b.length;
  const fns = result.functions
    .filter((f) => f.status === "changed" || f.status === "new")
    .map((f) => `${f.status === "new" ? "+" : ""}${f.name}`);
  rows.push(
    `${name.padEnd(48)} ${String(a.length + b.length).padStart(9)} B ${ms.toFixed(1).padStart(7)} ms  ${result.verdict.padEnd(10)} ${verbose ? fns.join(",") : ""}${verbose && result.refused.length ? ` REFUSED: ${result.refused.map((r) => `${r.kind} ${r.name}`).join("; ")}` : ""}`,
  );
}
console.log(rows.join("\n"));
console.log(
  `total: ${cases.length} pairs, ${(totalBytes / 1e6).toFixed(1)} MB, ${total.toFixed(0)} ms (read + diff)`,
);
