// SPDX-License-Identifier: GPL-2.0-only
// The whole security update as one livepatch: `hotpatch build --new-source debian:6.1.187-1`
// for debian:6.1.0-50-amd64 (running 6.1.176-1), through the CLI bundle as a user runs it.
// Prints the files changed, units compiled, fixes included / refused / no change / not
// applied, the wall time, the peak disk use of the target's cache and the newer source, and
// the machine's load meanwhile; then verifies the module in a VM of the target (a clean
// kernel log and the af_unix SIOCATMARK check) and tells what the refusals are made of.
// The pristine object cache makes a second run faster: say which one you measure.
// Usage: npm run build && npx tsx bench/full-update.ts [--new-source debian:6.1.187-1] [--out DIR]
import { execFile, execFileSync, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { sourceCacheDir } from "../src/kernel/debian-source.ts";
import { prepareTarget } from "../src/kernel/prepare.ts";
import { DEFAULT_TARGET, parseTargetName } from "../src/kernel/target-layout.ts";

const repo = new URL("..", import.meta.url).pathname;
const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = argv.indexOf(name);
  return at >= 0 && argv[at + 1] ? (argv[at + 1] as string) : fallback;
};
const newSource = option("--new-source", "debian:6.1.187-1");
const out = option("--out", mkdtempSync(join(tmpdir(), "hotpatch-full-update-")));
mkdirSync(out, { recursive: true });
const paths = await prepareTarget(parseTargetName(DEFAULT_TARGET));
const sourceDir = sourceCacheDir("linux-source-6.1", newSource.replace(/^debian:/, ""));

interface Outcome {
  fix: string;
  verdict: string;
  reasons: string[];
}
interface Report {
  module?: string;
  fixes: Outcome[];
  refused: Array<{ kind: string; name: string; reason: string; unit?: string; fixes: string[] }>;
  stats?: { rounds: number; units: number; fixedCompiles: number };
  steps?: Array<{ name: string; ms: number }>;
  update: {
    files: { changed: number };
    notBuilt: string[];
    outsideKernel: string[];
    split: Array<{ fix: string; files: string[] }>;
    changelog: Array<{ version: string; items: Array<{ cves: string[] }> }>;
  };
}

const duAsync = promisify(execFile);
async function bytesOf(dirs: string[]): Promise<number> {
  const { stdout } = await duAsync("du", ["-scb", ...dirs]).catch(() => ({ stdout: "0\ttotal" }));
  return Number(/^(\d+)\s+total$/m.exec(stdout)?.[1] ?? 0);
}

/** Samples the cache's size and the load average every `ms` while the build runs. */
function sampler(dirs: string[], ms: number) {
  const figures = { peakBytes: 0, loads: [] as number[] };
  const sample = async () => {
    figures.peakBytes = Math.max(figures.peakBytes, await bytesOf(dirs));
    figures.loads.push(loadavg()[0] as number);
  };
  const timer = setInterval(() => void sample(), ms);
  return { figures, sample, stop: () => clearInterval(timer) };
}

/** The CLI as a user runs it (the bundle), with these arguments. */
const cli = (...args: string[]) => [join(repo, "bin", "hotpatch.js"), ...args];

function runBuild(ko: string): Promise<{ exitCode: number; stdout: string; ms: number }> {
  const started = performance.now();
  const log = createWriteStream(join(out, "build.log"));
  const child = spawn(
    process.execPath,
    cli("build", "--target", DEFAULT_TARGET, "--new-source", newSource, "-o", ko, "--json"),
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.pipe(log);
  child.stderr.on("data", (d: Buffer) => process.stderr.write(d));
  return new Promise((resolve) =>
    child.on("close", (code) => resolve({ exitCode: code ?? 1, stdout, ms: performance.now() - started })),
  );
}

/** What the refusals are made of: each refused or not-applied fix by the class of its first reason. */
function anatomy(report: Report): Map<string, string[]> {
  const classes = new Map<string, string[]>();
  const add = (cls: string, fix: string) => classes.set(cls, [...(classes.get(cls) ?? []), fix]);
  const kindOf = new Map<string, string>();
  for (const r of report.refused ?? [])
    for (const f of r.fixes)
      if (!kindOf.has(f)) kindOf.set(f, `${r.kind}: ${r.reason.replace(/\d+/g, "N").slice(0, 90)}`);
  for (const f of report.fixes ?? []) {
    if (f.verdict === "refused") add(kindOf.get(f.fix) ?? (f.reasons[0] ?? "?").slice(0, 90), f.fix);
    if (f.verdict === "not-applied") {
      const why = f.reasons[0] ?? "";
      add(
        /does not compile/.test(why)
          ? "not-applied: does not compile without a refused fix"
          : /depends on refused/.test(why)
            ? "not-applied: does not apply without a refused fix"
            : `not-applied: ${why.slice(0, 80)}`,
        f.fix,
      );
    }
  }
  return classes;
}

const cacheDirs = [paths.root, sourceDir];
const before = await bytesOf(cacheDirs);
const loadBefore = loadavg();
const watch = sampler(cacheDirs, 60_000);
const ko = join(out, "update.ko");
const build = await runBuild(ko);
watch.stop();
await watch.sample();
writeFileSync(join(out, "report.json"), build.stdout);
const report = JSON.parse(build.stdout || "{}") as Report;
const count = (v: string) => report.fixes?.filter((f) => f.verdict === v).length ?? 0;
const gb = (b: number) => `${(b / 1024 ** 3).toFixed(2)} GB`;
const loads = watch.figures.loads;
console.log(`\nfull update ${DEFAULT_TARGET} -> ${newSource}: exit ${build.exitCode}, output in ${out}`);
if (report.update) {
  const u = report.update;
  const cves = new Set(u.changelog.flatMap((e) => e.items.flatMap((i) => i.cves)));
  console.log(
    `files changed ${u.files.changed}: ${u.notBuilt.length} not built here, ${u.outsideKernel.length} outside the kernel; ${u.split.length} fixes over ${u.split.reduce((n, f) => n + f.files.length, 0)} files`,
  );
  console.log(`changelog: ${u.changelog.map((e) => e.version).join(", ")} (${cves.size} CVE ids)`);
}
console.log(
  `fixes: ${count("included")} included, ${count("refused")} refused, ${count("no-change")} no change, ${count("not-applied")} not applied`,
);
if (report.stats)
  console.log(
    `units compiled: ${report.stats.units} (${report.stats.fixedCompiles} fixed compiles, ${report.stats.rounds} triage rounds)`,
  );
for (const s of report.steps ?? []) console.log(`  ${s.name}: ${(s.ms / 1000).toFixed(0)} s`);
console.log(`wall time: ${(build.ms / 60_000).toFixed(1)} min`);
console.log(
  `cache (target + newer source): ${gb(before)} before, peak ${gb(watch.figures.peakBytes)}, ${gb(await bytesOf(cacheDirs))} after`,
);
console.log(
  `load average (1 min): ${loadBefore[0]?.toFixed(1)} before, mean ${(loads.reduce((a, b) => a + b, 0) / Math.max(1, loads.length)).toFixed(1)}, max ${Math.max(...loads).toFixed(1)} during`,
);
console.log("\nwhat the refusals are made of (fixes by the class of their first reason):");
for (const [cls, fixes] of [...anatomy(report)].sort((a, b) => b[1].length - a[1].length))
  console.log(`  ${String(fixes.length).padStart(4)}  ${cls}  (e.g. ${fixes.slice(0, 3).join(", ")})`);

if (build.exitCode === 0) {
  const check = join(out, "siocatmark");
  execFileSync("gcc", ["-static", "-O2", "-o", check, join(repo, "fixes", "checks", "af_unix-siocatmark.c")]);
  const verify = spawn(
    process.execPath,
    cli(
      ...["verify", "--target", DEFAULT_TARGET, ko, "--check"],
      `${check} && ! dmesg | grep -E 'WARNING:|BUG:|Oops|general protection'`,
    ),
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  const code = await new Promise<number>((resolve) => verify.on("close", (c) => resolve(c ?? 1)));
  console.log(`verify: ${code === 0 ? "passed" : `failed (exit ${code})`}`);
}
console.log(`report: ${join(out, "report.json")}, progress log: ${join(out, "build.log")}`);
