// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch target prepare [NAME]` and `hotpatch target list`: parsing and printing only; the
// work is in src/kernel/prepare.ts.
import type { Command } from "@commander-js/extra-typings";
import { availableKernels } from "../../kernel/debian-available.ts";
import { formatGB } from "../../kernel/debian-preflight.ts";
import {
  diskUsage,
  listPreparedTargets,
  prepareTargetDetailed,
  type TargetManifest,
} from "../../kernel/prepare.ts";
import { DEFAULT_TARGET, parseTargetName } from "../../kernel/target-layout.ts";
import { formatSeconds } from "../../util/progress.ts";
import { table } from "../../util/text-table.ts";
import { examples } from "../help.ts";
import { emit } from "../output.ts";

interface TargetSummary {
  target: string;
  release: string;
  /** The kernel family: "6.1" or "6.12". */
  series: string;
  version: string;
  vermagic: string;
  root: string;
  /** Bytes on disk now (du of the target's directory). */
  size: number;
  preparedAt: string;
  prepareSeconds: number;
}

function summarize(target: string, root: string, manifest: TargetManifest, size: number): TargetSummary {
  return {
    target,
    release: manifest.release,
    series: manifest.series,
    version: manifest.version,
    vermagic: manifest.vermagic,
    root,
    size,
    preparedAt: manifest.preparedAt,
    prepareSeconds: Math.round(manifest.durationMs / 100) / 10,
  };
}

export function registerTarget(program: Command): void {
  const target = program
    .command("target")
    .description("Prepare and list kernel targets (Debian kernels by ABI name)");

  target
    .command("prepare")
    .description(`Download and prepare a target kernel once (cached); default ${DEFAULT_TARGET}`)
    .argument("[target]", "debian:<kernel ABI name>", DEFAULT_TARGET)
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      `
The first run downloads Debian's packages for that kernel and prepares its source tree (about
a minute or two, ~2.2 GB in $HOTPATCH_CACHE or $XDG_CACHE_HOME/hotpatch); later runs answer at once.
${examples(
  "hotpatch target prepare",
  "hotpatch target prepare debian:6.12.107+deb12-amd64 --json",
  "hotpatch target prepare debian:6.1.0-50-cloud-amd64",
)}`,
    )
    .action(async (name, options) => {
      const prepared = await prepareTargetDetailed(parseTargetName(name));
      // The size recorded at prepare time, not a fresh du: a prepared target answers instantly.
      const summary = {
        ...summarize(name, prepared.paths.root, prepared.manifest, prepared.manifest.sizes.total),
        reused: prepared.reused,
      };
      emit(options, summary, (s) =>
        s.reused
          ? `${s.target} is prepared (linux ${s.version}, ${formatGB(s.size)}): ${s.root}`
          : `${s.target} prepared in ${formatSeconds(prepared.manifest.durationMs)} (linux ${s.version}, ${formatGB(s.size)}): ${s.root}`,
      );
    });

  target
    .command("list")
    .description("List prepared targets with their versions and sizes (--available: the kernels apt knows)")
    .option(
      "--available",
      "list the Debian 12 kernels of both families that apt knows, and which can be prepared",
    )
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      `
Debian 12 ships two kernel families: 6.1 (debian:6.1.0-N-amd64) and the 6.12 backports
(debian:6.12.X+deb12-amd64), each also as -cloud-amd64. A kernel can be prepared when the
archive still has linux-source of exactly its version.
${examples("hotpatch target list", "hotpatch target list --available --json")}`,
    )
    .action(async (options) => {
      if (options.available) {
        const prepared = new Set(listPreparedTargets().map((t) => t.manifest.target));
        const kernels = (await availableKernels()).map((k) => ({ ...k, prepared: prepared.has(k.target) }));
        emit(options, { kernels }, ({ kernels: list }) =>
          list.length === 0
            ? "apt knows no Debian 12 kernel: run 'apt-get update'"
            : table([
                ["TARGET", "SERIES", "VERSION", "PREPARABLE", "PREPARED"],
                ...list.map((k) => [
                  k.target,
                  k.series,
                  k.version,
                  k.preparable ? "yes" : "no (no linux-source of this version)",
                  k.prepared ? "yes" : "",
                ]),
              ]),
        );
        return;
      }
      const targets: TargetSummary[] = [];
      for (const t of listPreparedTargets())
        targets.push(summarize(t.manifest.target, t.paths.root, t.manifest, await diskUsage(t.paths.root)));
      emit(options, { targets }, ({ targets: list }) =>
        list.length === 0
          ? "no prepared targets: run 'hotpatch target prepare'"
          : table([
              ["TARGET", "SERIES", "VERSION", "SIZE", "PREPARED", "PATH"],
              ...list.map((t) => [
                t.target,
                t.series,
                t.version,
                formatGB(t.size),
                t.preparedAt.slice(0, 19).replace("T", " "),
                t.root,
              ]),
            ]),
      );
    });
}
