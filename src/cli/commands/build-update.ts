// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch build --new-source debian:VERSION|DIR [--paths P...] [--write-series DIR]`: the
// update from the target's own source to a newer tree, split into fixes by src/update and then
// either written out as a quilt series or built like any fix series (build.ts does the build).
import { rmSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { Fix } from "../../build/fixes.ts";
import type { TargetPaths } from "../../kernel/target-layout.ts";
import { checkModuleName, moduleNameFromSeries } from "../../klp/module-name.ts";
import { planUpdate, type UpdatePlan, type UpdateReport } from "../../update/update.ts";
import { step } from "../../util/progress.ts";
import { emit } from "../output.ts";

export interface UpdateOptions {
  newSource: string;
  paths?: string[];
  writeSeries?: string;
  name?: string;
  json?: true;
  /** The target as the user named it, for the "build it with" line. */
  targetName: string;
}

/** Builds the update's fixes as one module named `name` and prints the report with `update`. */
export type BuildFixes = (fixes: Fix[], name: string, update: UpdateReport) => Promise<void>;

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

/** `--new-source`: the update split into fixes, then written out (--write-series) or built. */
export async function buildUpdate(
  paths: TargetPaths,
  options: UpdateOptions,
  build: BuildFixes,
): Promise<void> {
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
          `build it with: hotpatch build --target ${options.targetName} ${w.update.series}`,
          "",
          renderChangelog(w.update),
        ].join("\n"),
      );
      return;
    }
    const stem = options.newSource.startsWith("debian:")
      ? options.newSource.slice("debian:".length)
      : basename(resolve(options.newSource));
    const name = options.name
      ? checkModuleName(options.name)
      : moduleNameFromSeries(
          `update-${stem}`,
          plan.fixes.map((f) => f.sha256),
        );
    await build(plan.fixes, name, plan.report);
  } finally {
    if (!process.env.HOTPATCH_KEEP_WORK) rmSync(workDir, { recursive: true, force: true });
  }
}
