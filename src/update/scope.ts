// SPDX-License-Identifier: GPL-2.0-only
// Which changed files of an update matter to the running kernel. Left out and counted: files
// that are not part of any kernel image (Documentation/, tools/, scripts/, ...) and files this
// configuration does not build (a unit, assembly file or directory whose Makefile state is n,
// another architecture's arch/ directory), read with the same Makefile evaluator the build
// plans units with. Headers are kept (the build's planning finds which units see them), and
// so is everything whose state is unknown: the build has the last word.
import { dirname } from "node:path";
import {
  type ConfigState,
  classifyTouched,
  directoryConfigState,
  objectOfSource,
  unitConfigState,
} from "../kernel/units.ts";
import type { ChangedFile } from "./tree-diff.ts";

export type OutOfScope = "outside-kernel" | "not-built";

export interface ScopedChanges {
  /** The changes the update splits into fixes. */
  inScope: ChangedFile[];
  /** Left out, with why. */
  outOfScope: Array<ChangedFile & { scope: OutOfScope }>;
}

/** Makefile state lookups for one tree and configuration (Makefiles read once). */
export interface ConfigLookup {
  unit(object: string): ConfigState;
  directory(dir: string): ConfigState;
}

export function configLookup(tree: string, config: Map<string, string>): ConfigLookup {
  const memo: NonNullable<Parameters<typeof unitConfigState>[3]> = new Map();
  return {
    unit: (object) => unitConfigState(tree, object, config, memo),
    directory: (dir) => directoryConfigState(tree, dir, config, memo),
  };
}

/** Why a changed file does not matter to the running kernel, or undefined when it may. */
export function outOfScope(path: string, lookup: ConfigLookup): OutOfScope | undefined {
  const kind = classifyTouched(path);
  if (kind === "ignored") return "outside-kernel";
  if (kind === "c-source") return lookup.unit(objectOfSource(path)) === "n" ? "not-built" : undefined;
  if (kind === "assembly")
    return lookup.unit(path.replace(/\.[sS]$/, ".o")) === "n" ? "not-built" : undefined;
  // A header is kept wherever it lives (units of other directories may include it), except in
  // another architecture's arch/ directory; the build's planning finds the units it reaches.
  if (kind === "header") return /^arch\/(?!x86\/)/.test(path) ? "not-built" : undefined;
  // Makefiles, Kconfig and other files count where their directory is built.
  return lookup.directory(dirname(path)) === "n" ? "not-built" : undefined;
}

export function scopeChanges(changes: readonly ChangedFile[], lookup: ConfigLookup): ScopedChanges {
  const scoped: ScopedChanges = { inScope: [], outOfScope: [] };
  for (const change of changes) {
    const scope = outOfScope(change.path, lookup);
    if (scope) scoped.outOfScope.push({ ...change, scope });
    else scoped.inScope.push(change);
  }
  return scoped;
}
