// SPDX-License-Identifier: GPL-2.0-only
// Entry point of the build front end: fix + prepared target -> pristine/patched object pairs
// per affected compilation unit, with refusals. The livepatch generator calls this, then
// diffs each pair, then asks src/kernel/match.ts to prove and resolve against the running
// kernel.
import type { TargetPaths } from "./target-layout.ts";
import type { BuildInputs, PrepareBuildInputsOptions } from "./build-types.ts";

export type { BuildInputs, BuildRefusal, KernelSymbolRef, KlpObjectName, PrepareBuildInputsOptions, UnitBuild } from "./build-types.ts";

/**
 * Applies `fixPath` to a scratch view of `paths.tree`, finds the units it affects and compiles
 * each pristine (cached) and patched with the target's exact flags plus
 * -ffunction-sections -fdata-sections. Throws UserError when the fix does not apply.
 * Refused files are listed in `refusals` (units for them are not compiled).
 */
export async function prepareBuildInputs(
  paths: TargetPaths,
  fixPath: string,
  options: PrepareBuildInputsOptions = {},
): Promise<BuildInputs> {
  void paths;
  void fixPath;
  void options;
  throw new Error("prepareBuildInputs: not implemented yet");
}
