// SPDX-License-Identifier: GPL-2.0-only
// Benchmark: the DWARF reader and the differ's layout stage.
// - readDwarf on big real units of the target (compiled with the build's recipe when not cached);
// - the layout stage's share of diffObjects on kpatch's 55 peer pairs (stripped but one), on the
//   units of the corpus fixes (built pristine and fixed by the build front end), and on a big
//   unit diffed against a fresh read of itself.
// Each figure is the median of several runs (the machine is shared).
// Run: npx tsx bench/dwarf.ts [--no-target]
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readFixes } from "../src/build/fixes.ts";
import { prepareUnits } from "../src/build/inputs.ts";
import { diffObjects, diffViews, entrySizesFromEnv, fromElf } from "../src/diff/index.ts";
import { readDwarf } from "../src/elf/dwarf/index.ts";
import { type ElfObject, readElf } from "../src/elf/index.ts";
import { compilePristine } from "../src/kernel/compile.ts";
import { prepareTarget } from "../src/kernel/prepare.ts";
import { DEFAULT_TARGET, parseTargetName } from "../src/kernel/target-layout.ts";

const shared = fileURLToPath(new URL("../../shared", import.meta.url));
const peerDir = join(shared, "peer/kpatch-unit-objs/x86_64");
const RUNS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function timed(run: () => void): number {
  return median(
    Array.from({ length: RUNS }, () => {
      const t = performance.now();
      run();
      return performance.now() - t;
    }),
  );
}

interface Pair {
  label: string;
  orig: Uint8Array;
  patched: Uint8Array;
  options: Parameters<typeof diffObjects>[2];
}

/**
 * Full diff vs the diff without the layout stage, on fresh reads (no cached catalogue): a warm-up
 * pass of each, then the median of RUNS passes over all pairs, the two kinds alternating.
 */
function stageCost(pairs: Pair[]): { full: number; without: number } {
  const full = () => {
    for (const p of pairs) diffObjects(readElf(p.orig), readElf(p.patched), p.options);
  };
  const without = () => {
    for (const p of pairs) diffViews(fromElf(readElf(p.orig)), fromElf(readElf(p.patched)), p.options);
  };
  full();
  without();
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    a.push(timed1(full));
    b.push(timed1(without));
  }
  return { full: median(a), without: median(b) };
}

function timed1(run: () => void): number {
  const t = performance.now();
  run();
  return performance.now() - t;
}

function line(label: string, cost: { full: number; without: number }): string {
  const stage = cost.full - cost.without;
  return `${label.padEnd(34)} diff without stage ${cost.without.toFixed(0).padStart(6)} ms, with ${cost.full.toFixed(0).padStart(6)} ms: stage ${stage.toFixed(0).padStart(5)} ms (+${((stage / cost.without) * 100).toFixed(0)}%)`;
}

function peerPairs(): Pair[] {
  const names = readdirSync(peerDir)
    .filter((f) => f.endsWith(".ORIG.o"))
    .map((f) => f.slice(0, -".ORIG.o".length));
  return names.map((name) => {
    const patched = readdirSync(peerDir).find((f) => f.startsWith(`${name}.PATCHED`)) as string;
    let env: Record<string, string> = {};
    try {
      env = Object.fromEntries(
        readFileSync(join(peerDir, `${name}.env`), "utf8")
          .split("\n")
          .filter((l) => l.includes("="))
          .map((l) => l.split("=", 2) as [string, string]),
      );
    } catch {}
    return {
      label: name,
      orig: readFileSync(join(peerDir, `${name}.ORIG.o`)),
      patched: readFileSync(join(peerDir, patched)),
      options: { entrySizes: entrySizesFromEnv(env) },
    };
  });
}

function readerFigures(file: string, label: string): void {
  const bytes = readFileSync(file);
  const obj: ElfObject = readElf(bytes);
  const dwarf = readDwarf(obj);
  const lean = readDwarf(obj, { skipFunctionBodies: true });
  const ms = timed(() => readDwarf(obj));
  const leanMs = timed(() => readDwarf(obj, { skipFunctionBodies: true }));
  const info = obj.sectionByName(".debug_info")?.size ?? 0;
  console.log(
    `readDwarf ${label.padEnd(22)} ${(bytes.length / 1e6).toFixed(1)} MB object, .debug_info ${(info / 1e3).toFixed(0)} kB: ${dwarf?.dieCount} DIEs in ${ms.toFixed(1)} ms; without function bodies ${lean?.dieCount} DIEs in ${leanMs.toFixed(1)} ms`,
  );
}

const peers = peerPairs();
console.log(line(`kpatch peer corpus (${peers.length} pairs)`, stageCost(peers)));
const nostrip = peers.find((p) => p.label.includes("NOSTRIP"));
if (nostrip) console.log(line("  of which oot-issue-928.NOSTRIP", stageCost([nostrip])));

if (!process.argv.includes("--no-target")) {
  const paths = await prepareTarget(parseTargetName(DEFAULT_TARGET));
  const big = ["kernel/sched/core.o", "net/ipv4/tcp.o", "net/unix/af_unix.o", "fs/dcache.o"];
  const files: string[] = [];
  for (const object of big) files.push((await compilePristine(paths, object)).objectPath);
  for (const [i, object] of big.entries()) readerFigures(files[i] as string, object);
  for (const [i, object] of big.entries()) {
    const bytes = readFileSync(files[i] as string);
    console.log(
      line(
        `${object} against itself`,
        stageCost([{ label: object, orig: bytes, patched: bytes, options: {} }]),
      ),
    );
  }
  const corpus = join(shared, "corpus");
  const pairs: Pair[] = [];
  for (const fix of readdirSync(corpus).filter((f) => f.endsWith(".patch") && !f.startsWith("28-"))) {
    const inputs = await prepareUnits(paths, readFixes([join(corpus, fix)]));
    try {
      for (const unit of inputs.units)
        pairs.push({
          label: unit.object,
          orig: readFileSync(unit.pristineObject),
          patched: readFileSync(unit.patchedObject),
          options: { objectKind: unit.klpObject === "vmlinux" ? "vmlinux" : "module" },
        });
    } finally {
      inputs.cleanup();
    }
  }
  console.log(line(`corpus fixes (${pairs.length} units)`, stageCost(pairs)));
}
