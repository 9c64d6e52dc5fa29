// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch target prepare [NAME]` and `hotpatch target list`: parsing and printing only; the
// work is in src/kernel/prepare.ts.
import type { Command } from "@commander-js/extra-typings";
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
${examples("hotpatch target prepare", "hotpatch target prepare debian:6.1.0-50-amd64 --json")}`,
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
    .description("List prepared targets with their versions and sizes")
    .option("--json", "print the result as JSON")
    .action(async (options) => {
      const targets: TargetSummary[] = [];
      for (const t of listPreparedTargets())
        targets.push(summarize(t.manifest.target, t.paths.root, t.manifest, await diskUsage(t.paths.root)));
      emit(options, { targets }, ({ targets: list }) =>
        list.length === 0
          ? "no prepared targets: run 'hotpatch target prepare'"
          : table([
              ["TARGET", "VERSION", "SIZE", "PREPARED", "PATH"],
              ...list.map((t) => [
                t.target,
                t.version,
                formatGB(t.size),
                t.preparedAt.slice(0, 19).replace("T", " "),
                t.root,
              ]),
            ]),
      );
    });
}
