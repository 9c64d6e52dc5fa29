// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch demo`: the main job end to end on the built-in default — prepare the target, build
// the bundled real fix of its kernel family (fixes/01-af_unix-siocatmark-nonstream.patch for
// 6.1, fixes/02-landlock-whiteout-make-reg.patch for 6.12) into a livepatch, and verify it in a
// VM of that kernel with its behaviour check.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "@commander-js/extra-typings";
import { readFixes } from "../../build/fixes.ts";
import { type BuildReport, buildLivepatch } from "../../build/pipeline.ts";
import { UserError } from "../../errors/user-error.ts";
import { prepareTarget } from "../../kernel/prepare.ts";
import { DEFAULT_TARGET, parseTargetName, type TargetPaths } from "../../kernel/target-layout.ts";
import { runInTargetVm } from "../../kernel/target-vm.ts";
import { type VerifyReport, verifyModule } from "../../klp/verify.ts";
import { defaultJobs } from "../../util/pool.ts";
import { step } from "../../util/progress.ts";
import { run } from "../../util/run.ts";
import { examples } from "../help.ts";
import { emit } from "../output.ts";
import { DEFAULT_MAX_UNITS, renderBuildReport } from "./build.ts";
import { renderVerifyReport } from "./verify.ts";

/** A bundled real fix, its behaviour check (fixes/checks/) and the livepatch's name. */
interface BundledFix {
  fix: string;
  check: string;
  name: string;
  cve: string;
}

/** One bundled fix per kernel family (series), since a fix for one does not apply to the other. */
const BUNDLED: Record<string, BundledFix> = {
  "6.1": {
    fix: "01-af_unix-siocatmark-nonstream.patch",
    check: "af_unix-siocatmark.c",
    name: "hp_af_unix_siocatmark",
    cve: "CVE-2026-52928",
  },
  "6.12": {
    fix: "02-landlock-whiteout-make-reg.patch",
    check: "landlock-whiteout.c",
    name: "hp_landlock_whiteout",
    cve: "CVE-2026-89560",
  },
};

/** The bundled fix for a target's kernel series (`6.12.107+deb12-amd64` -> 6.12). */
function bundledFixFor(release: string, target: string): BundledFix {
  const series = /^(\d+\.\d+)\./.exec(release)?.[1] ?? "";
  const bundled = BUNDLED[series];
  if (!bundled) {
    throw new UserError(
      `hotpatch has no bundled fix for ${target} (Linux ${series || release}): the demo covers the ${Object.keys(BUNDLED).join(" and ")} families.`,
    );
  }
  return bundled;
}

/** The repository's fixes/ directory, found upwards from this file (bundle or source). */
function fixesDir(fix: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "fixes", fix))) return join(dir, "fixes");
    dir = dirname(dir);
  }
  throw new UserError(`The bundled fix fixes/${fix} is missing from this installation.`);
}

/** Makes the --keep directory up front, so a bad path fails before the target is prepared. */
function keepDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    const why = code === "EEXIST" || code === "ENOTDIR" ? "it is not a directory" : code;
    throw new UserError(`Cannot use ${dir} for --keep: ${why}.`);
  }
}

interface DemoReport {
  build: BuildReport;
  /** The check on the unfixed kernel: it should fail there. */
  unfixed: { exitCode: number; output: string };
  verify: VerifyReport;
}

/** Compiles the check, builds the fix, runs the check unfixed, then verifies the livepatch. */
async function runDemo(
  paths: TargetPaths,
  bundled: BundledFix,
  fixes: string,
  work: string,
): Promise<DemoReport> {
  const check = join(work, bundled.check.replace(/\.c$/, ""));
  await step("compile the behaviour check (gcc -static)", () =>
    run("gcc", ["-static", "-O2", "-o", check, join(fixes, "checks", bundled.check)], {
      what: "compiling the check helper",
    }),
  );
  const build = await buildLivepatch({
    paths,
    fixes: readFixes([join(fixes, bundled.fix)]),
    name: bundled.name,
    replace: true,
    outPath: join(work, `${bundled.name}.ko`),
    maxUnits: DEFAULT_MAX_UNITS,
    jobs: defaultJobs(),
    strict: true,
    step,
  });
  // The same check on the unfixed kernel first, so the demo shows the behaviour change.
  const unfixed = await step("run the check on the unfixed kernel", () =>
    runInTargetVm(paths, { command: [check] }),
  );
  const verify = await step("verify in a VM of the target", () =>
    verifyModule(paths, build.module, { check }),
  );
  return { build, unfixed: { exitCode: unfixed.exitCode, output: unfixed.output }, verify };
}

function renderDemo(r: DemoReport): string {
  return [
    renderBuildReport(r.build),
    `unfixed kernel: ${r.unfixed.output.trim()} (check exit status ${r.unfixed.exitCode})`,
    renderVerifyReport(r.verify),
  ].join("\n\n");
}

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(
      "Build the bundled real security fix of the target's kernel family into a livepatch and prove it in a VM",
    )
    .option("--target <name>", "the target kernel", DEFAULT_TARGET)
    .option("--keep <dir>", "keep the module and check helper in this directory")
    .option("--json", "print the build and verify reports as JSON")
    .addHelpText(
      "after",
      `
The fix is the bundled one of the target's kernel family: ${Object.entries(BUNDLED)
        .map(([series, b]) => `fixes/${b.fix} (${b.cve}) for ${series}`)
        .join(", ")}. Its behaviour check (fixes/checks/) runs on the unfixed kernel first (it
fails), then with the livepatch loaded (it passes).
${examples(
  "hotpatch demo",
  "hotpatch demo --target debian:6.12.107+deb12-amd64",
  "hotpatch demo --keep ./demo-out --json > demo.json",
)}`,
    )
    .action(async (options) => {
      const target = parseTargetName(options.target);
      const bundled = bundledFixFor(target.release, options.target);
      const fixes = fixesDir(bundled.fix);
      if (options.keep) keepDir(options.keep);
      const paths = await step(`prepare target ${options.target}`, () => prepareTarget(target));
      const work = options.keep ?? mkdtempSync(join(tmpdir(), "hotpatch-demo-"));
      try {
        const report = await runDemo(paths, bundled, fixes, work);
        emit(options, report, renderDemo);
        if (!report.verify.ok)
          throw new UserError(`The demo livepatch failed verification: ${report.verify.failure}`);
      } finally {
        if (!options.keep) rmSync(work, { recursive: true, force: true });
      }
    });
}
