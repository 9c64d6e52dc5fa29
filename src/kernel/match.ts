// SPDX-License-Identifier: GPL-2.0-only
// Run-pre matching (the Ksplice idea): before trusting a build, compare each pristine function
// that the patch replaces or refers to with the running kernel's code, masking relocation
// fields. Matching relocation fields also say exactly which same-named local symbol a
// reference means, which gives the sympos a klp relocation needs.
import type { KernelSymbolRef, UnitBuild } from "./build-types.ts";
import type { TargetPaths } from "./target-layout.ts";

export interface UnitMatch {
  unit: UnitBuild;
  /** The functions asked for, by their name in the pristine object, found in the running
   * kernel (each matched byte for byte outside relocation fields). */
  functions: Map<string, KernelSymbolRef>;
  /**
   * Where a symbol of the pristine object (defined or undefined, by its name there) lives in
   * the running kernel: own functions matched above, references read off matching
   * relocations, unique names, else neighbouring symbols of the same unit. Returns undefined
   * when the running kernel has no such symbol (e.g. a symbol only the fix adds).
   * Throws UserError when several candidates remain and none can be told apart.
   */
  resolve(name: string): KernelSymbolRef | undefined;
}

/**
 * Matches `functions` (names in unit.pristineObject) against the running kernel: vmlinux
 * units against TargetPaths.vmlinux at the kallsyms addresses, module units against the
 * target's .ko. Throws UserError naming the first function whose code differs.
 */
export async function matchUnit(paths: TargetPaths, unit: UnitBuild, functions: string[]): Promise<UnitMatch> {
  void paths;
  void unit;
  void functions;
  throw new Error("matchUnit: not implemented yet");
}
