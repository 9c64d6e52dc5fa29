// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch unload NAME`: disable a livepatch, wait for the transition, remove its module.
import type { Command } from "@commander-js/extra-typings";
import { runtimeEnv, type UnloadResult, unloadPatch } from "../../runtime/index.ts";
import { formatSeconds } from "../../util/progress.ts";
import { examples } from "../help.ts";
import { emit } from "../output.ts";
import { parseTimeout } from "./load.ts";

function render(r: UnloadResult): string {
  return r.disabled
    ? `unloaded ${r.name}: disabled and removed (${formatSeconds(r.transitionMs)})`
    : `removed the module of ${r.name} (its patch was already inactive)`;
}

export function registerUnload(program: Command): void {
  program
    .command("unload")
    .description("Disable a livepatch, wait for the transition and remove its module (root)")
    .argument("<name>", "the patch (module) name, as 'hotpatch list' shows it")
    .option("--timeout <seconds>", "reverse the disable when it takes longer", "60")
    .option("--json", "print the result as JSON")
    .addHelpText("after", examples("hotpatch unload hp_af_unix_siocatmark"))
    .action(async (name, opts) => {
      emit(opts, await unloadPatch(runtimeEnv(), name, { timeoutMs: parseTimeout(opts.timeout) }), render);
    });
}
