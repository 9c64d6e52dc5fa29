// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch build --target T FIX [FIX...] [-o OUT.ko]` and `hotpatch build --target T
// --new-source debian:VERSION|DIR [--paths P...] [--write-series DIR]`: parsing and printing
// only; the pipeline is src/build/pipeline.ts, the update's split build-update.ts. Exit 0 with a
// module (or a written series), 2 when the fix is refused (or, with several, when none can go
// in), 3 when nothing changes a function, 1 on errors. With several --target, one module per
// target (the same pipeline once per target); a target the fixes fail on is reported for that
// target and the others go on.
import { existsSync, readdirSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "@commander-js/extra-typings";
import { type Fix, readFixes } from "../../build/fixes.ts";
import { type BuildReport, type BuildRequest, buildLivepatch } from "../../build/pipeline.ts";
import { BuildRefusedError, type FixOutcome } from "../../build/verdicts.ts";
import { ExitCode, UserError } from "../../errors/user-error.ts";
import { prepareTarget } from "../../kernel/prepare.ts";
import type { TargetPaths } from "../../kernel/target-layout.ts";
import { DEFAULT_TARGET, type TargetId, targetName } from "../../kernel/target-layout.ts";
import { checkModuleName, moduleNameFromFix, moduleNameFromSeries } from "../../klp/module-name.ts";
import type { UpdateReport } from "../../update/update.ts";
import { defaultJobs } from "../../util/pool.ts";
import { formatSeconds, step, warn } from "../../util/progress.ts";
import { table } from "../../util/text-table.ts";
import { checkOutputPath, checkUserFile } from "../../util/user-files.ts";
import { examples } from "../help.ts";
import { collect } from "../options.ts";
import { emit } from "../output.ts";
import { moduleFileFor, targetsFrom } from "../targets.ts";
import { buildUpdate, renderChangelog, renderUpdateReport } from "./build-update.ts";

/** The default unit budget of one header change (`--max-units`). */
export const DEFAULT_MAX_UNITS = 300;

function fixTable(fixes: FixOutcome[]): string[] {
  if (fixes.length < 2) return [];
  return [
    table([
      ["fix", "verdict", "functions / why"],
      ...fixes.map((f) => [
        f.fix,
        f.verdict,
        f.verdict === "included" ? f.functions.join(", ") : f.reasons.join("; "),
      ]),
    ]),
    "",
  ];
}

export function renderBuildReport(r: BuildReport): string {
  const lines = [
    `built ${r.module} (livepatch '${r.name}', ${r.replace ? "replace mode" : "stacking"}, objects: ${r.objects.join(", ")})`,
    "",
    ...fixTable(r.fixes),
  ];
  lines.push(
    table([
      ["function", "object", "status", "sympos", "why"],
      ...r.functions.map((f) => [
        f.name,
        f.object,
        f.status,
        f.sympos === undefined ? "-" : String(f.sympos),
        f.reasons.join("; "),
      ]),
    ]),
  );
  if (r.ignored.length > 0) {
    lines.push(
      "",
      `not patched: ${r.ignored.length} function(s) differ between the builds but not in what they do`,
    );
    for (const i of r.ignored) lines.push(`  ${i.name} (${i.unit}): ${i.reason}`);
  }
  const klp = r.kernelReferences.filter((k) => k.kind === "klp");
  lines.push(
    "",
    `kernel symbols used: ${r.kernelReferences.length - klp.length} exported, ${klp.length} through livepatch relocations`,
  );
  for (const k of klp) if (k.kind === "klp") lines.push(`  ${k.objName}:${k.name},${k.sympos}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  lines.push("", `steps: ${r.steps.map((s) => `${s.name} ${formatSeconds(s.ms)}`).join(", ")}`);
  lines.push(
    `units: ${r.stats.units} compiled (${r.stats.fixedCompiles} fixed compiles in ${r.stats.rounds} round(s))`,
  );
  if (r.signed) lines.push("signed: yes");
  return lines.join("\n");
}

/** A whole number of at least 1 from an option, or a UserError naming the option. */
function positiveInteger(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UserError(`${option} takes a whole number of at least 1, not '${value}'.`);
  return n;
}

/** The module's default name: from the fix, or from the series (one argument) and its content. */
function defaultName(args: string[], fixes: Fix[]): string {
  if (fixes.length === 1) return moduleNameFromFix((fixes[0] as Fix).path);
  return moduleNameFromSeries(
    args.length === 1 ? (args[0] as string) : "cumulative",
    fixes.map((f) => f.sha256),
  );
}

/** Bad input is reported before the target is prepared (which can take minutes on first use). */
function checkOptions(options: {
  name?: string;
  output?: string;
  target?: string[];
  signKey?: string;
  signCert?: string;
}): void {
  if (options.name) checkModuleName(options.name);
  if (Boolean(options.signKey) !== Boolean(options.signCert)) {
    throw new UserError("--sign-key and --sign-cert go together: give both or neither.");
  }
  // With several targets -o names the directory the modules go to.
  const severalTargets = (options.target?.length ?? 0) > 1;
  if (options.output && !severalTargets) checkOutputPath(resolve(options.output), "the module");
  if (options.signKey) checkUserFile(options.signKey, "a private key");
  if (options.signCert) checkUserFile(options.signCert, "a certificate");
}

interface BuildOptions {
  target?: string[];
  output?: string;
  name?: string;
  replace: boolean;
  strict?: true;
  maxUnits: string;
  jobs?: string;
  signKey?: string;
  signCert?: string;
  json?: true;
  newSource?: string;
  paths?: string[];
  writeSeries?: string;
}

/** FIX arguments and --new-source exclude each other; --paths and --write-series need the latter. */
function checkInputs(fixArgs: string[], options: BuildOptions): void {
  if (options.newSource && fixArgs.length > 0)
    throw new UserError("Give either fixes or --new-source, not both.");
  if (!options.newSource) {
    if (fixArgs.length === 0)
      throw new UserError(
        "Give the fixes to build (patch files, directories or series files), or --new-source.",
      );
    if (options.paths) throw new UserError("--paths chooses files of an update: it goes with --new-source.");
    if (options.writeSeries)
      throw new UserError("--write-series writes an update's fixes: it goes with --new-source.");
  }
  if (options.writeSeries) {
    const dir = resolve(options.writeSeries);
    if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0))
      throw new UserError(`--write-series ${options.writeSeries} must be a new or empty directory.`);
  }
  for (const f of fixArgs)
    checkUserFile(f, "a fix (a unified diff), a directory of fixes, or a series file", {
      allowDirectory: true,
    });
}

/** The build's settings shared by a fix series and an update. */
function buildSettings(options: BuildOptions) {
  return {
    replace: options.replace,
    maxUnits: positiveInteger(options.maxUnits, "--max-units"),
    jobs: options.jobs === undefined ? defaultJobs() : positiveInteger(options.jobs, "--jobs"),
    strict: options.strict === true,
    sign:
      options.signKey && options.signCert
        ? { key: resolve(options.signKey), cert: resolve(options.signCert) }
        : undefined,
    step,
  };
}

/** Builds the fixes into a module and prints the report (an update's summary too, when given). */
async function buildAndReport(
  paths: TargetPaths,
  fixes: Fix[],
  name: string,
  options: BuildOptions,
  update?: UpdateReport,
): Promise<void> {
  const outPath = resolve(options.output ?? `${name}.ko`);
  if (!options.output) checkOutputPath(outPath, "the module");
  try {
    const report = await buildLivepatch({ paths, fixes, name, outPath, ...buildSettings(options) });
    for (const w of report.warnings) warn(w);
    emit(options, update ? { ...report, update } : report, (r) =>
      update
        ? [renderUpdateReport(update), "", renderBuildReport(r), "", renderChangelog(update)].join("\n")
        : renderBuildReport(r),
    );
  } catch (error) {
    // With --json the refusals are also a document on stdout; the sentence still goes to stderr.
    if (error instanceof BuildRefusedError && options.json)
      emit(options, { refused: error.refusals, fixes: error.fixes, ...(update ? { update } : {}) }, () => "");
    throw error;
  }
}

interface TargetOutcome {
  target: string;
  /** Whether the module for this target was built. */
  ok: boolean;
  report?: BuildReport;
  /** The sentence when this target failed, its exit code and, for a refusal, the refusals. */
  error?: string;
  exitCode?: ExitCode;
  refused?: BuildRefusedError["refusals"];
}

/** One build per target, each to `<dir>/<name>-<release>.ko`; failures are per target. */
async function buildForTargets(
  targets: TargetId[],
  dir: string,
  name: string,
  request: (paths: TargetPaths, outPath: string) => BuildRequest,
): Promise<TargetOutcome[]> {
  const outcomes: TargetOutcome[] = [];
  for (const id of targets) {
    const target = targetName(id);
    try {
      const paths = await step(`prepare target ${target}`, () => prepareTarget(id));
      const report = await buildLivepatch(request(paths, moduleFileFor(dir, name, id)));
      for (const w of report.warnings) warn(`${target}: ${w}`);
      outcomes.push({ target, ok: true, report });
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      warn(`${target}: ${error.message}`);
      outcomes.push({
        target,
        ok: false,
        error: error.message,
        exitCode: error.exitCode,
        ...(error instanceof BuildRefusedError ? { refused: error.refusals } : {}),
      });
    }
  }
  return outcomes;
}

function renderOutcomes({ targets: outcomes }: { targets: TargetOutcome[] }): string {
  return outcomes
    .map((o) =>
      o.report
        ? `== ${o.target}\n${renderBuildReport(o.report)}`
        : `== ${o.target}\nnot built: ${o.error}${(o.refused ?? []).map((r) => `\n  ${r.unit}: ${r.name}: ${r.kind}: ${r.reason}`).join("")}`,
    )
    .join("\n\n");
}

export function registerBuild(program: Command): void {
  program
    .command("build")
    .description(
      "Build one livepatch module from kernel source fixes (unified diffs), or from a newer source tree, for a target kernel",
    )
    .argument(
      "[fix...]",
      "fixes, applied in order: unified diffs against the target's source (patch -p1), directories of them, or quilt series files",
    )
    .option(
      "--target <name>",
      `the target kernel (default ${DEFAULT_TARGET}); repeat for one module per target`,
      collect,
    )
    .option(
      "-o, --output <ko>",
      "where to write the module (default: ./<name>.ko); with several targets a directory",
    )
    .option("--name <name>", "module and livepatch name (default: hp_<fix file name>, or hp_<series>_<hash>)")
    .option("--no-replace", "stack on earlier livepatches instead of replacing them")
    .option("--strict", "with several fixes: fail (exit 2) when any fix is left out")
    .option(
      "--max-units <n>",
      "the most units one header change may make the build compile",
      String(DEFAULT_MAX_UNITS),
    )
    .option("-j, --jobs <n>", "parallel compiles (default: one per CPU, or HOTPATCH_JOBS)")
    .option(
      "--new-source <source>",
      "build the update to a newer source instead of fixes: debian:<version> (that linux-source, downloaded and cached) or a directory",
    )
    .option("--paths <path...>", "with --new-source: start from the changes to these files or directories")
    .option("--write-series <dir>", "with --new-source: write the fixes and a quilt series to <dir> and stop")
    .option("--sign-key <pem>", "sign the module with this private key (scripts/sign-file)")
    .option("--sign-cert <x509>", "certificate matching --sign-key")
    .option("--json", "print the report as JSON")
    .addHelpText(
      "after",
      `
With several fixes, one module carries every fix that can be live-patched; a fix that is
refused (unsafe data, __init code, ...) is left out with its reason, and so is a later fix
that no longer applies or compiles without it. The report has a verdict per fix.

With --new-source, the source files that differ between the target's own source and the
newer tree (only those this configuration builds) are split into fixes: files whose changes
belong together (one uses a helper, field or function another one's change adds) form one
fix, and each fix is triaged as above. --paths starts from some files; what their changes
need from other changed files comes with them. The report lists the Debian changelog
entries between the two versions.

Exit status: 0 module built (or series written), 2 the fix cannot be live-patched safely (each refusal is
listed with its reason; with several fixes: none can, or one was left out under --strict),
3 no function changes, 1 any other error.
With several --target options, one module per target goes to <dir>/<name>-<release>.ko (-o names
the directory, default the current one); a target the fixes fail on is reported for it alone
and the exit status is that of the first target that failed (0 when all were built).
${examples(
  `hotpatch build --target ${DEFAULT_TARGET} fixes/01-af_unix-siocatmark-nonstream.patch -o af_unix.ko`,
  "hotpatch build fix.patch --name hp_cve_fix --no-replace --json > report.json",
  "hotpatch build patches/series -o update.ko --json > update.json",
  "hotpatch build --target debian:6.1.0-50-amd64 --target debian:6.12.107+deb12-amd64 fix.patch -o out/",
  `hotpatch build --target ${DEFAULT_TARGET} --new-source debian:6.1.187-1 --paths net/unix/af_unix.c -o unix.ko`,
  `hotpatch build --target ${DEFAULT_TARGET} --new-source debian:6.1.187-1 --write-series update/`,
)}`,
    )
    .action(async (fixArgs, options) => {
      checkOptions(options);
      checkInputs(fixArgs, options);
      const settings = buildSettings(options); // checks --max-units and --jobs before any long step
      const targets = targetsFrom(options.target);
      if (options.newSource) {
        if (targets.length > 1)
          throw new UserError("--new-source builds an update for one target at a time: give one --target.");
        const target = targets[0] as TargetId;
        const paths = await prepareTarget(target);
        await buildUpdate(
          paths,
          { ...options, newSource: options.newSource, targetName: targetName(target) },
          (fixes, name, update) => buildAndReport(paths, fixes, name, options, update),
        );
        return;
      }
      const fixes = readFixes(fixArgs);
      const name = options.name ? checkModuleName(options.name) : defaultName(fixArgs, fixes);
      if (targets.length > 1) {
        const request = (paths: TargetPaths, outPath: string): BuildRequest => ({
          paths,
          fixes,
          name,
          outPath,
          ...settings,
        });
        const outcomes = await buildForTargets(targets, resolve(options.output ?? "."), name, request);
        emit(options, { targets: outcomes }, renderOutcomes);
        const failed = outcomes.filter((o) => !o.report);
        if (failed.length > 0) {
          throw new UserError(
            `The ${fixes.length === 1 ? "fix was" : "fixes were"} not built for ${failed.length} of ${outcomes.length} targets: ${failed.map((o) => o.target).join(", ")}.`,
            [],
            failed[0]?.exitCode ?? ExitCode.ERROR,
          );
        }
        return;
      }
      if (!options.output) checkOutputPath(resolve(`${name}.ko`), "the module");
      const paths = await prepareTarget(targets[0] as TargetId);
      await buildAndReport(paths, fixes, name, options);
    });
}
