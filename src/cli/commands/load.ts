// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch load M.ko | --all`: load a livepatch on this system and wait for its transition;
// `--all` loads the installed patches for the running kernel (what the boot unit runs).
import type { Command } from "@commander-js/extra-typings";
import { UserError } from "../../errors/user-error.ts";
import {
  describeDropped,
  type LoadAllResult,
  type LoadResult,
  loadAll,
  loadPatch,
  runtimeEnv,
  storeReleases,
} from "../../runtime/index.ts";
import { formatSeconds, warn } from "../../util/progress.ts";
import { examples } from "../help.ts";
import { emit } from "../output.ts";

export function parseTimeout(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new UserError(`--timeout takes a positive number of seconds, not '${value}'.`);
  return seconds * 1000;
}

function renderLoad(r: LoadResult): string {
  if (r.outcome === "already-loaded") return `${r.name} is already loaded and enabled: nothing to do.`;
  const lines = [
    `loaded ${r.name} (${r.replace === "unknown" ? "replace mode unknown" : `${r.replace} mode`}), transition ${formatSeconds(r.transitionMs)}${r.forced ? " — FORCED" : ""}`,
  ];
  if (r.fixes) lines.push(`fixes carried: ${r.fixes.map((f) => f.fix).join(", ")}`);
  if (r.retired.length) lines.push(`retired by this cumulative patch: ${r.retired.join(", ")}`);
  if (r.dropped.length) lines.push(`dropped (--allow-drop): ${describeDropped(r.dropped, "retired patch")}`);
  if (r.removedModules.length)
    lines.push(`removed the modules of replaced patches: ${r.removedModules.join(", ")}`);
  const kept = r.retired.filter((n) => !r.removedModules.includes(n));
  if (kept.length)
    lines.push(`still loaded (retired; remove with 'hotpatch unload NAME'): ${kept.join(", ")}`);
  return lines.join("\n");
}

function renderAll(r: LoadAllResult): string {
  if (r.skipped) return "hotpatch.skip is on the kernel command line: no patches loaded.";
  const lines = r.entries.map(
    (e) => `${e.outcome.padEnd(14)} ${e.name}${e.detail ? `: ${e.detail.split("\n")[0]}` : ""}`,
  );
  if (lines.length === 0) lines.push(`no patches installed for ${r.release}.`);
  if (r.otherReleases.length)
    lines.push(`(patches installed for other kernels, not loaded: ${r.otherReleases.join(", ")})`);
  return lines.join("\n");
}

export function registerLoad(program: Command): void {
  program
    .command("load")
    .description("Load a livepatch module on this system and wait for its transition (root)")
    .argument("[module]", "the livepatch .ko file")
    .option("--all", "load every installed patch for the running kernel (boot-time)")
    .option("--timeout <seconds>", "give up and revert when the transition takes longer", "60")
    .option(
      "--force",
      "on timeout force the transition instead of reverting (the patch can then never be unloaded)",
    )
    .option("--keep-replaced", "keep the modules of patches a cumulative patch replaced")
    .option(
      "--allow-drop",
      "load a cumulative patch even if it retires a patch carrying a fix it does not carry",
    )
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      examples("hotpatch load ./af_unix.ko", "hotpatch load --all   # what the boot unit runs"),
    )
    .action(async (module, opts) => {
      const env = runtimeEnv();
      const timeoutMs = parseTimeout(opts.timeout);
      if (opts.all) {
        if (module) throw new UserError("Give either a module or --all, not both.");
        const result = await loadAll(
          env,
          { timeoutMs, keepReplaced: opts.keepReplaced, allowDrop: opts.allowDrop },
          storeReleases(env),
        );
        emit(opts, result, renderAll);
        const failed = result.entries.filter((e) => e.outcome === "failed" || e.outcome === "incomplete");
        if (failed.length)
          throw new UserError(
            `${failed.length} installed patch${failed.length === 1 ? "" : "es"} did not load: ${failed.map((e) => e.name).join(", ")}.`,
          );
        return;
      }
      if (!module) throw new UserError("Name the livepatch module to load (or use --all).");
      if (opts.force)
        warn(
          "--force: if the transition stalls it will be forced, and a forced patch can never be unloaded.",
        );
      emit(
        opts,
        await loadPatch(env, module, {
          timeoutMs,
          force: opts.force,
          keepReplaced: opts.keepReplaced,
          allowDrop: opts.allowDrop,
        }),
        renderLoad,
      );
    });
}
