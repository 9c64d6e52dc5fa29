// SPDX-License-Identifier: GPL-2.0-only
// What `hotpatch load --all` does with the installed patches of a release: it replays the
// installs in order under the rule of `hotpatch load`. A stacking patch adds to what is loaded;
// a replace-mode (cumulative) patch retires everything before it, but only when it carries
// every fix of what it retires, or was installed with --allow-drop; otherwise it is refused and
// what it would have retired stays. Patches retired in the replay are not loaded at all
// ("superseded"), so a boot never loads a patch only to retire it a moment later.
import { type DroppedFixes, droppedFixes } from "./provenance.ts";
import type { StoreEntry } from "./store.ts";

export type BootAction =
  | { action: "load" }
  | { action: "incomplete" }
  | { action: "superseded"; by: string }
  | { action: "refused"; dropped: DroppedFixes[] };

export type BootStep = BootAction & { entry: StoreEntry };

/** The replay: one step per installed entry, in install order. */
export function bootPlan(entries: StoreEntry[], allowDrop = false): BootStep[] {
  const steps: BootStep[] = entries.map((entry) =>
    entry.complete ? { entry, action: "load" } : { entry, action: "incomplete" },
  );
  let active: BootStep[] = [];
  for (const [index, step] of steps.entries()) {
    if (step.action !== "load") continue;
    // Only a patch known to be in replace mode supersedes; an unknown mode is loaded in turn
    // (`hotpatch load` then applies the same check against what is really loaded).
    if (step.entry.replace !== "replace") {
      active.push(step);
      continue;
    }
    const dropped = droppedFixes(
      active.map((a) => ({ patch: a.entry.name, fixes: a.entry.fixes })),
      step.entry.fixes,
    );
    if (dropped.length > 0 && !(allowDrop || step.entry.allowDrop)) {
      steps[index] = { entry: step.entry, action: "refused", dropped };
      continue;
    }
    for (const old of active) {
      const at = steps.indexOf(old);
      steps[at] = { entry: old.entry, action: "superseded", by: step.entry.name };
    }
    active = [step];
  }
  return steps;
}
