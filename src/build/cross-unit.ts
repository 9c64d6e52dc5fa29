// SPDX-License-Identifier: GPL-2.0-only
// Fixes that span units: a new function that one unit of the patch defines and another calls
// (a new helper in core code used by a module, or by another file). The running kernel does
// not have it, so the caller must bind to the patch's own copy: the defining unit exports it
// under an alias and the caller's reference is an ordinary one to that alias, resolved when
// the livepatch module is linked. Code of a module is only safe to run once that module is
// loaded, so vmlinux code (or another module's) may not call a new function of a module unit.
import { readFileSync } from "node:fs";
import { readElf, STB } from "../elf/index.ts";
import { included, type PatchGlobal } from "../klp/assemble.ts";
import type { CompiledUnitDiff } from "./diff-units.ts";
import type { UnitRefusal } from "./verdicts.ts";

export type { PatchGlobal };

export interface CrossUnitLinks {
  /** New non-static functions by name, for the units that call them. */
  globals: Map<string, PatchGlobal>;
  refusals: UnitRefusal[];
}

/** The new non-static functions each unit's patch carries. */
function newGlobalFunctions(d: CompiledUnitDiff): string[] {
  const patched = readElf(readFileSync(d.unit.patchedObject));
  return included(d.diff)
    .filter((f) => f.status === "new" && !f.parent)
    .filter((f) => patched.symbols[f.symbolIndex]?.bind !== STB.LOCAL)
    .map((f) => f.name);
}

export function linkAcrossUnits(diffs: CompiledUnitDiff[]): CrossUnitLinks {
  const links: CrossUnitLinks = { globals: new Map(), refusals: [] };
  for (const d of diffs) {
    for (const name of newGlobalFunctions(d)) {
      if (links.globals.has(name)) continue; // the linker would refuse two definitions anyway
      links.globals.set(name, {
        name,
        alias: `__hotpatch_new_${links.globals.size}`,
        unitObject: d.unit.object,
        klpObject: d.unit.klpObject,
      });
    }
  }
  for (const d of diffs) {
    for (const ref of d.diff.references) {
      const g = links.globals.get(ref.name);
      if (!g || g.unitObject === d.unit.object || ref.kind !== "global") continue;
      if (g.klpObject === "vmlinux" || g.klpObject === d.unit.klpObject) continue;
      links.refusals.push({
        unit: d.unit,
        name: ref.name,
        kind: "unsupported",
        reason: `${ref.name} is new in ${g.unitObject.replace(/\.o$/, ".c")} (module ${g.klpObject}) but called from ${d.unit.source} (${d.unit.klpObject}): the patch would run ${g.klpObject}'s code while that module may not be loaded`,
        suggestion: `define the new function in code that is always loaded (vmlinux), or keep the caller in ${g.klpObject}`,
      });
    }
  }
  return links;
}
