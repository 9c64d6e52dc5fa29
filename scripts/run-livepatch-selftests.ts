// SPDX-License-Identifier: GPL-2.0-only
// Peer suite: the kernel's own livepatch selftests on the target kernel, in the VM.
// Builds the test_klp_*.c modules from the target's source as external modules (CONFIG_
// TEST_LIVEPATCH is off in Debian; 6.1 keeps them in lib/livepatch, 6.12 in the selftests'
// own test_modules/), and 6.12's test_klp-call_getpid helper with gcc, then runs
// tools/testing/selftests/livepatch/*.sh in one VM boot (test/fixtures/runtime/
// selftests-guest.sh) and prints, per script, pass / fail / skip with the failing test's diff.
// Run: npx tsx scripts/run-livepatch-selftests.ts [--target debian:<abi>] [--json]
import { copyFileSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildExternalModule } from "../src/kernel/kbuild.ts";
import { prepareTarget } from "../src/kernel/prepare.ts";
import { DEFAULT_TARGET, parseTargetName } from "../src/kernel/target-layout.ts";
import { runInTargetVm } from "../src/kernel/target-vm.ts";
import { run } from "../src/util/run.ts";

export interface SelftestResult {
  script: string;
  outcome: "pass" | "fail" | "skip";
  exitCode: number;
  seconds: number;
  tests: Array<{ name: string; ok: boolean }>;
  /** Output of the script when it did not pass (diff of expected vs. actual kernel log). */
  detail: string;
}

const guestScript = fileURLToPath(new URL("../test/fixtures/runtime/selftests-guest.sh", import.meta.url));

/** Splits the guest output into one result per selftest script. */
export function parseSelftestOutput(output: string): SelftestResult[] {
  const results: SelftestResult[] = [];
  const blocks = output.split(/^=== BEGIN /m).slice(1);
  for (const block of blocks) {
    const script = block.slice(0, block.indexOf("\n")).trim();
    const end = /^=== END \S+ rc=(\d+) seconds=(\d+)/m.exec(block);
    const body = block.slice(block.indexOf("\n") + 1, end?.index ?? block.length);
    const exitCode = end ? Number(end[1]) : -1;
    const tests = [...body.matchAll(/^TEST: (.*?) \.\.\. (ok|not ok)/gm)].map((m) => ({
      name: m[1] ?? "",
      ok: m[2] === "ok",
    }));
    const outcome = exitCode === 0 ? "pass" : exitCode === 4 ? "skip" : "fail";
    results.push({
      script,
      outcome,
      exitCode,
      seconds: end ? Number(end[2]) : 0,
      tests,
      detail: outcome === "pass" ? "" : body.trim(),
    });
  }
  return results;
}

/** Where the test modules' sources are: lib/livepatch (6.1) or the selftests' test_modules (6.12). */
function testModuleSources(tree: string, selftests: string): string {
  const inSelftests = join(selftests, "test_modules");
  return existsSync(inSelftests) ? inSelftests : join(tree, "lib", "livepatch");
}

async function buildTestModules(tree: string, selftests: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "hp-klp-selftests-"));
  const from = testModuleSources(tree, selftests);
  const sources = readdirSync(from).filter((f) => /^test_klp_.*\.c$/.test(f));
  for (const file of sources) copyFileSync(join(from, file), join(dir, file));
  writeFileSync(join(dir, "Kbuild"), `obj-m += ${sources.map((f) => f.replace(/\.c$/, ".o")).join(" ")}\n`);
  await buildExternalModule({ tree, moduleDir: dir, logFile: join(dir, "build.log") });
  // test-syscall.sh (6.12) runs this helper; the guest runs host binaries, so build it here.
  const getpid = join(selftests, "test_klp-call_getpid.c");
  if (existsSync(getpid)) await run("gcc", ["-O2", "-o", join(dir, "test_klp-call_getpid"), getpid]);
  return dir;
}

function targetArgument(): string {
  const at = process.argv.indexOf("--target");
  return at >= 0 ? (process.argv[at + 1] ?? DEFAULT_TARGET) : DEFAULT_TARGET;
}

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const paths = await prepareTarget(parseTargetName(targetArgument()));
  const selftests = join(paths.tree, "tools", "testing", "selftests", "livepatch");
  const modules = await buildTestModules(paths.tree, selftests);
  const started = Date.now();
  const vm = await runInTargetVm(paths, {
    command: ["bash", guestScript, modules, selftests],
    timeoutSec: 1800,
    onOutput: json ? undefined : (chunk) => process.stderr.write(chunk),
  });
  const results = parseSelftestOutput(vm.output);
  const seconds = Math.round((Date.now() - started) / 1000);
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ release: basename(paths.modulesDir), seconds, results }, null, 2)}\n`,
    );
    return;
  }
  process.stdout.write(
    `\nkernel livepatch selftests on ${basename(paths.modulesDir)} (${seconds} s in the VM)\n`,
  );
  for (const r of results) {
    const passed = r.tests.filter((t) => t.ok).length;
    process.stdout.write(
      `${r.outcome.toUpperCase().padEnd(5)} ${r.script.padEnd(22)} ${passed}/${r.tests.length} tests ok, ${r.seconds} s\n`,
    );
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
