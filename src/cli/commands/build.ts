// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch build --target T FIX.patch [-o OUT.ko]`: parsing and printing only; the pipeline
// is src/klp/generate.ts. Exit 0 with a module, 2 when the fix is refused, 3 when it changes
// nothing, 1 on errors. With several --target, one module per target (the same pipeline once
// per target); a target the fix fails on is reported for that target and the others go on.
import { resolve } from "node:path";
import type { Command } from "@commander-js/extra-typings";
import { ExitCode, UserError } from "../../errors/user-error.ts";
import { prepareTarget } from "../../kernel/prepare.ts";
import { DEFAULT_TARGET, type TargetId, targetName } from "../../kernel/target-layout.ts";
import { BuildRefusedError, type BuildReport, buildLivepatch } from "../../klp/generate.ts";
import { checkModuleName, moduleNameFromFix } from "../../klp/module-name.ts";
import { formatSeconds, step, warn } from "../../util/progress.ts";
import { checkOutputPath, checkUserFile } from "../../util/user-files.ts";
import { examples } from "../help.ts";
import { emit, table } from "../output.ts";
import { collect, moduleFileFor, targetsFrom } from "../targets.ts";

export function renderBuildReport(r: BuildReport): string {
  const lines = [
    `built ${r.module} (livepatch '${r.name}', ${r.replace ? "replace mode" : "stacking"}, objects: ${r.objects.join(", ")})`,
    "",
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
  if (r.signed) lines.push("signed: yes");
  return lines.join("\n");
}

/** Bad input is reported before the target is prepared (which can take minutes on first use). */
function checkInputs(fix: string, outPath: string, options: { signKey?: string; signCert?: string }): void {
  if (Boolean(options.signKey) !== Boolean(options.signCert)) {
    throw new UserError("--sign-key and --sign-cert go together: give both or neither.");
  }
  checkUserFile(fix, "a fix (a unified diff)");
  checkOutputPath(outPath, "the module");
  if (options.signKey) checkUserFile(options.signKey, "a private key");
  if (options.signCert) checkUserFile(options.signCert, "a certificate");
}

interface TargetOutcome {
  target: string;
  ok: boolean;
  report?: BuildReport;
  /** The sentence when this target failed, its exit code and, for a refusal, the refusals. */
  error?: string;
  exitCode?: ExitCode;
  refused?: BuildRefusedError["refusals"];
}

type BuildOptions = { name?: string; replace: boolean; signKey?: string; signCert?: string };

function signOptions(options: BuildOptions) {
  return options.signKey && options.signCert
    ? { key: resolve(options.signKey), cert: resolve(options.signCert) }
    : undefined;
}

/** One build per target, each to `<dir>/<name>-<release>.ko`; failures are per target. */
async function buildForTargets(
  fix: string,
  name: string,
  targets: TargetId[],
  dir: string,
  options: BuildOptions,
): Promise<TargetOutcome[]> {
  const outcomes: TargetOutcome[] = [];
  for (const id of targets) {
    const target = targetName(id);
    try {
      const paths = await step(`prepare target ${target}`, () => prepareTarget(id));
      const report = await buildLivepatch({
        paths,
        fixPath: resolve(fix),
        name,
        replace: options.replace,
        outPath: moduleFileFor(dir, name, id),
        sign: signOptions(options),
        step,
      });
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
    .description("Build a livepatch module from a kernel source fix (a unified diff) for a target kernel")
    .argument("<fix>", "the fix: a unified diff against the target's kernel source (patch -p1)")
    .option(
      "--target <name>",
      `the target kernel (default ${DEFAULT_TARGET}); repeat for one module per target`,
      collect,
    )
    .option(
      "-o, --output <ko>",
      "where to write the module (default: ./<name>.ko); with several targets a directory",
    )
    .option("--name <name>", "module and livepatch name (default: hp_<fix file name>)")
    .option("--no-replace", "stack on earlier livepatches instead of replacing them")
    .option("--sign-key <pem>", "sign the module with this private key (scripts/sign-file)")
    .option("--sign-cert <x509>", "certificate matching --sign-key")
    .option("--json", "print the report as JSON")
    .addHelpText(
      "after",
      `
Exit status: 0 module built, 2 the fix cannot be live-patched safely (each refusal is
listed with its reason), 3 the fix changes no function, 1 any other error.
With several --target options, one module per target goes to <dir>/<name>-<release>.ko (-o names
the directory, default the current one); a target the fix fails on is reported for it alone
and the exit status is that of the first target that failed (0 when all were built).
${examples(
  `hotpatch build --target ${DEFAULT_TARGET} fixes/01-af_unix-siocatmark-nonstream.patch -o af_unix.ko`,
  "hotpatch build fix.patch --name hp_cve_fix --no-replace --json > report.json",
  "hotpatch build --target debian:6.1.0-50-amd64 --target debian:6.12.107+deb12-amd64 fix.patch -o out/",
)}`,
    )
    .action(async (fix, options) => {
      const name = options.name ? checkModuleName(options.name) : moduleNameFromFix(fix);
      const targets = targetsFrom(options.target);
      if (targets.length > 1) {
        const dir = resolve(options.output ?? ".");
        checkInputs(fix, moduleFileFor(dir, name, targets[0] as TargetId), options);
        const outcomes = await buildForTargets(fix, name, targets, dir, options);
        emit(options, { targets: outcomes }, renderOutcomes);
        const failed = outcomes.filter((o) => !o.ok);
        if (failed.length > 0) {
          throw new UserError(
            `The fix was not built for ${failed.length} of ${outcomes.length} targets: ${failed.map((o) => o.target).join(", ")}.`,
            [],
            failed[0]?.exitCode ?? ExitCode.ERROR,
          );
        }
        return;
      }
      const outPath = resolve(options.output ?? `${name}.ko`);
      checkInputs(fix, outPath, options);
      const paths = await prepareTarget(targets[0] as TargetId);
      try {
        const report = await buildLivepatch({
          paths,
          fixPath: resolve(fix),
          name,
          replace: options.replace,
          outPath,
          sign: signOptions(options),
          step,
        });
        for (const w of report.warnings) warn(w);
        emit(options, report, renderBuildReport);
      } catch (error) {
        // With --json the refusals are also a document on stdout; the sentence still goes to stderr.
        if (error instanceof BuildRefusedError && options.json)
          emit(options, { refused: error.refusals }, () => "");
        throw error;
      }
    });
}
