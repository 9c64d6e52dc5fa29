// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch build --target T FIX [FIX...] [-o OUT.ko]` and `hotpatch build --target T
// --new-source debian:VERSION|DIR [--paths P...] [--write-series DIR]`: parsing and printing
// only; the pipeline is src/build/pipeline.ts, the split of a newer tree into fixes
// src/update/update.ts. Exit 0 with a module (or a written series), 2 when the fix is refused
// (or, with several, when none can go in), 3 when nothing changes a function, 1 on errors.
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { Command } from "@commander-js/extra-typings";
import { type Fix, readFixes } from "../../build/fixes.ts";
import { type BuildReport, buildLivepatch } from "../../build/pipeline.ts";
import { BuildRefusedError, type FixOutcome } from "../../build/verdicts.ts";
import { UserError } from "../../errors/user-error.ts";
import { prepareTarget } from "../../kernel/prepare.ts";
import { DEFAULT_TARGET, parseTargetName, type TargetPaths } from "../../kernel/target-layout.ts";
import { checkModuleName, moduleNameFromFix, moduleNameFromSeries } from "../../klp/module-name.ts";
import { planUpdate, type UpdatePlan, type UpdateReport } from "../../update/update.ts";
import { defaultJobs } from "../../util/pool.ts";
import { formatSeconds, step, warn } from "../../util/progress.ts";
import { table } from "../../util/text-table.ts";
import { checkOutputPath, checkUserFile } from "../../util/user-files.ts";
import { examples } from "../help.ts";
import { emit } from "../output.ts";

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

/** The update's summary: what changed, what is left out, how it was split. */
export function renderUpdateReport(u: UpdateReport): string {
  const lines = [
    `update from ${u.from} to ${u.to}`,
    `  ${u.files.changed} files changed (${u.files.modified} modified, ${u.files.created} created, ${u.files.deleted} deleted)`,
    `  ${u.notBuilt.length} not built in this configuration, ${u.outsideKernel.length} outside the kernel image (documentation, tools, scripts)${u.binary.length > 0 ? `, ${u.binary.length} binary` : ""}`,
  ];
  if (u.chosen) lines.push(`  chosen with --paths: ${u.chosen.join(", ")}`);
  for (const p of u.pulledIn)
    lines.push(`  pulled in: ${p.path} (${p.neededBy.join(", ")} uses ${p.names.join(", ")})`);
  const files = u.split.reduce((n, f) => n + f.files.length, 0);
  lines.push(`  split into ${u.split.length} fix(es) over ${files} file(s): ${u.series}`);
  for (const f of u.split.filter((f) => f.files.length > 1))
    lines.push(`    ${f.fix}: ${f.files.join(", ")}`);
  return lines.join("\n");
}

/** The Debian changelog entries the update spans: each upload's changes with their CVE ids. */
export function renderChangelog(u: UpdateReport): string {
  if (u.changelog.length === 0) return "";
  const lines = [`Debian changelog between the two versions (${u.changelog.length} upload(s)):`];
  for (const e of u.changelog) {
    const cves = new Set(e.items.flatMap((i) => i.cves));
    lines.push(`  ${e.version} (${e.date}): ${e.items.length} change(s), ${cves.size} CVE id(s)`);
    for (const i of e.items) lines.push(`    - ${i.text}`);
  }
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
  signKey?: string;
  signCert?: string;
}): void {
  if (options.name) checkModuleName(options.name);
  if (Boolean(options.signKey) !== Boolean(options.signCert)) {
    throw new UserError("--sign-key and --sign-cert go together: give both or neither.");
  }
  if (options.output) checkOutputPath(resolve(options.output), "the module");
  if (options.signKey) checkUserFile(options.signKey, "a private key");
  if (options.signCert) checkUserFile(options.signCert, "a certificate");
}

interface BuildOptions {
  target: string;
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

/** `--new-source`: the update split into fixes, then written out (--write-series) or built. */
async function buildUpdate(paths: TargetPaths, options: BuildOptions & { newSource: string }): Promise<void> {
  const workDir = join(paths.root, "work", `${process.pid}-${Date.now()}-update`);
  try {
    const plan: UpdatePlan = await planUpdate({
      paths,
      newSource: options.newSource,
      selected: options.paths,
      seriesDir: options.writeSeries ? resolve(options.writeSeries) : join(workDir, "series"),
      workDir,
      logFile: join(workDir, "update.log"),
      step,
    });
    if (options.writeSeries) {
      const written = {
        update: plan.report,
        fixes: plan.fixes.map((f) => ({ fix: f.name, sha256: f.sha256 })),
      };
      emit(options, written, (w) =>
        [
          renderUpdateReport(w.update),
          "",
          `build it with: hotpatch build --target ${options.target} ${w.update.series}`,
          "",
          renderChangelog(w.update),
        ].join("\n"),
      );
      return;
    }
    const stem = options.newSource.startsWith("debian:")
      ? options.newSource.slice(7)
      : basename(resolve(options.newSource));
    const name = options.name
      ? checkModuleName(options.name)
      : moduleNameFromSeries(
          `update-${stem}`,
          plan.fixes.map((f) => f.sha256),
        );
    await buildAndReport(paths, plan.fixes, name, options, plan.report);
  } finally {
    if (!process.env.HOTPATCH_KEEP_WORK) rmSync(workDir, { recursive: true, force: true });
  }
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
    .option("--target <name>", "the target kernel", DEFAULT_TARGET)
    .option("-o, --output <ko>", "where to write the module (default: ./<name>.ko)")
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

Exit status: 0 module built (or series written), 2 the fix cannot be live-patched safely
(each refusal is listed with its reason; with several fixes: none can, or one was left out
under --strict), 3 no function changes, 1 any other error.
${examples(
  `hotpatch build --target ${DEFAULT_TARGET} fixes/01-af_unix-siocatmark-nonstream.patch -o af_unix.ko`,
  "hotpatch build fix.patch --name hp_cve_fix --no-replace --json > report.json",
  "hotpatch build patches/series -o update.ko --json > update.json",
  `hotpatch build --target ${DEFAULT_TARGET} --new-source debian:6.1.187-1 --paths net/unix/af_unix.c -o unix.ko`,
  `hotpatch build --target ${DEFAULT_TARGET} --new-source debian:6.1.187-1 --write-series update/`,
)}`,
    )
    .action(async (fixArgs, options) => {
      checkOptions(options);
      checkInputs(fixArgs, options);
      buildSettings(options); // --max-units and --jobs are checked before the target is prepared
      if (options.newSource) {
        const paths = await prepareTarget(parseTargetName(options.target));
        await buildUpdate(paths, { ...options, newSource: options.newSource });
        return;
      }
      const fixes = readFixes(fixArgs);
      const name = options.name ? checkModuleName(options.name) : defaultName(fixArgs, fixes);
      if (!options.output) checkOutputPath(resolve(`${name}.ko`), "the module");
      const paths = await prepareTarget(parseTargetName(options.target));
      await buildAndReport(paths, fixes, name, options);
    });
}
