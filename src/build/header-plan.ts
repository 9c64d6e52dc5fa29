// SPDX-License-Identifier: GPL-2.0-only
// The units a touched header reaches, in three steps, each narrowing what the one before
// found:
// 1. includers: every built .c file that includes it, directly or through other headers,
//    from the tree's include index (Makefile -I paths followed);
// 2. names (for a header with more than a few includers): the files that can use what the fix
//    changes there, read from the source (header-scope.ts, header-users.ts) and from the
//    macro expansions of one includer (expansion-probe.ts);
// 3. the preprocessor: a unit whose preprocessed text is the same before and after the fix
//    compiles to the same object (preprocess.ts), so it is left out.
// What remains is compiled. More units than the budget (`--max-units`) is a refusal; a few of
// them are compiled anyway, so their objects can give the real verdict (a struct layout
// change is refused as such, not as "too many units").
import { createHash } from "node:crypto";
import { lstatSync, readFileSync, type Stats } from "node:fs";
import { isAbsolute, join } from "node:path";
import {
  changedConstants,
  encodingReason,
  encodingUses,
  expandedEncodingUses,
  pastedEncodingUses,
} from "../kernel/constant-uses.ts";
import { type ExpansionChanges, expansionChanges } from "../kernel/expansion-probe.ts";
import { realizeParentReferences, refreshScratchView, type TouchedFile } from "../kernel/fix.ts";
import { functionNames, headerChange } from "../kernel/header-scope.ts";
import { type ChangedName, usersOfChangedNames } from "../kernel/header-users.ts";
import { headerUsers, type IncludeIndex } from "../kernel/includes.ts";
import { type PreprocessedUnit, preprocessedHashInView, preprocessPristine } from "../kernel/preprocess.ts";
import type { TargetPaths } from "../kernel/target-layout.ts";
import { type ConfigState, objectOfSource } from "../kernel/units.ts";
import { mapPool } from "../util/pool.ts";
import { counter } from "../util/progress.ts";
import type { OverBudget, PlanOptions, UnitCandidate } from "./plan-units.ts";
import { outsideRunningKernel } from "./plan-units.ts";
import { ownChanges } from "./probe-attribution.ts";

export interface HeaderPlanContext {
  /** Expansion probes already run, by header (null: none could run). */
  probes: Map<string, ExpansionChanges | null>;
  paths: TargetPaths;
  viewDir: string;
  /** All applied fixes' text (their hunks for this header). */
  fixText: string;
  /** The files `fixText` touches (parsed once: an update's text is megabytes). */
  touched: TouchedFile[];
  stateOf: (source: string) => ConfigState;
  index: () => IncludeIndex;
  options: PlanOptions;
}

export interface HeaderPlan {
  units: Array<{ source: string; state: ConfigState }>;
  notes: string[];
  overBudget?: Omit<OverBudget, "fixes">;
  /** Every unit that can see the change is in `units` (no budget cut): the header's callers are
   * all rebuilt, so a prototype it changes may change (src/build/interfaces.ts). */
  complete: boolean;
  /** Why the change cannot be live-patched whatever the units compile to (constant-uses.ts). */
  unsafe?: string;
}

/**
 * Includers beyond this many are narrowed by names before preprocessing: a new or changed
 * inline function changes the preprocessed text of every includer, though only its callers
 * compile differently.
 */
const NARROW_ABOVE = 16;
/**
 * Candidates beyond this many (times the budget) are not even preprocessed: the preprocessor
 * drops only includers where the change sits in code their configuration leaves out, seldom
 * two thirds of them, and with many fixes applied (an update) almost none. Preprocessing the
 * 2,000 includers of a drm header twice costs minutes.
 */
const PREPROCESS_AT_MOST = 3;
/** Units of an over-budget header compiled for their evidence. */
const SAMPLE = 3;

type Unit = { source: string; state: ConfigState };

export async function planHeader(ctx: HeaderPlanContext, file: TouchedFile): Promise<HeaderPlan> {
  const { options } = ctx;
  if (file.created)
    return {
      units: [],
      notes: [`${file.path}: a new header; only the units the fix changes to include it are affected`],
      complete: true,
    };
  const notes: string[] = [];
  const built = headerUsers(ctx.index(), file.path)
    .filter((source) => !outsideRunningKernel(source))
    .map((source) => ({ source, state: ctx.stateOf(source) }))
    .filter((u) => u.state !== "n");
  const unsafe = await encodingChange(ctx, file.path, built);
  if (unsafe) return { units: [], notes, complete: false, unsafe };
  let candidates = built;
  if (built.length > NARROW_ABOVE) {
    candidates = await narrowByNames(ctx, file.path, built, notes);
    // No includer names what changed: its note says so, nothing to preprocess.
    if (candidates.length === 0) return { units: [], notes, complete: true };
  }
  if (candidates.length > PREPROCESS_AT_MOST * options.maxUnits) {
    notes.push(`${file.path}: reaches ${candidates.length} built units, too many to preprocess`);
    return {
      units: [],
      notes,
      overBudget: overBudget(file.path, candidates.length, candidates),
      complete: false,
    };
  }
  const affected = await changedByPreprocessor(ctx, file.path, candidates);
  notes.push(
    `${file.path}: ${affected.length} of ${candidates.length} built units including it change once preprocessed${
      candidates.length < built.length
        ? ` (narrowed from ${built.length} includers by the names the fix changes)`
        : ""
    }`,
  );
  if (affected.length > options.maxUnits) {
    return {
      units: [],
      notes,
      overBudget: overBudget(file.path, affected.length, affected),
      complete: false,
    };
  }
  return { units: affected, notes, complete: true };
}

function overBudget(header: string, units: number, reached: Unit[]): Omit<OverBudget, "fixes"> {
  const sample: UnitCandidate[] = reached.slice(0, SAMPLE).map((u) => ({
    source: u.source,
    object: objectOfSource(u.source),
    becauseOf: [header],
    fixes: [],
    state: u.state,
    direct: false,
  }));
  return { header, units, sample };
}

/**
 * The includers that can use what the fix changes in the header. A change outside any named
 * construct keeps them all. The names come from the header's text and from one includer's
 * macro expansions, which see what pasting macros define.
 */
async function narrowByNames(
  ctx: HeaderPlanContext,
  header: string,
  built: Unit[],
  notes: string[],
): Promise<Unit[]> {
  const change = headerChange(ctx.paths.tree, header, ctx.fixText);
  if (!change || change.kind === "whole") {
    if (change)
      notes.push(
        `${header}: line ${change.line} changes outside any function, macro or type: every includer is affected`,
      );
    return built;
  }
  const functions = new Set([
    ...functionNames(readText(join(ctx.paths.tree, header))),
    ...functionNames(readText(join(ctx.viewDir, header))),
  ]);
  const names: ChangedName[] = change.names.map((name) => ({ name, isFunction: functions.has(name) }));
  const probe = await probeOnce(ctx, header, built);
  if (probe) {
    for (const n of probe.names) {
      const known = names.find((m) => m.name === n.name);
      if (known) known.isFunction = n.isFunction;
      else names.push(n);
    }
  }
  const users = new Set(
    usersOfChangedNames(
      ctx.paths.tree,
      ctx.index(),
      header,
      built.map((u) => u.source),
      names,
      probe?.headers ?? new Set(),
    ),
  );
  const narrowed = built.filter((u) => users.has(u.source));
  notes.push(
    `${header}: the fix changes ${names.map((n) => n.name).join(", ")}; of the ${built.length} built units including it, ${narrowed.length} name them`,
  );
  return narrowed;
}

function readText(path: string): string {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return "";
  }
}

/** The probe of a header, run at most once per plan (the constant check and narrowing share it). */
async function probeOnce(ctx: HeaderPlanContext, header: string, built: Unit[]) {
  const cached = ctx.probes.get(header);
  if (cached !== undefined) return cached ?? undefined;
  const probed = await probeExpansions(ctx, header, built);
  const found =
    probed &&
    ownChanges(probed, header, new Set(ctx.touched.map((t) => t.path)), (file: string) =>
      readText(join(ctx.paths.tree, file)),
    );
  ctx.probes.set(header, found ?? null);
  return found;
}

/**
 * A constant the fix changes in the header that encodes data the running kernel holds (a bit
 * number, a mask, a state): where it is used so in the header, in the sources of its includers
 * that name it, or in the expansions of one includer (pasted names). One sentence, or none.
 */
async function encodingChange(
  ctx: HeaderPlanContext,
  header: string,
  built: Unit[],
): Promise<string | undefined> {
  const [original, fixed] = [readText(join(ctx.paths.tree, header)), readText(join(ctx.viewDir, header))];
  const constants = changedConstants(original, fixed, ctx.fixText, header);
  if (constants.length === 0) return undefined;
  const probe = await probeOnce(ctx, header, built);
  for (const c of constants) {
    const uses = [
      ...encodingUses(fixed, c.name),
      ...pastedEncodingUses(fixed, c.name),
      ...expandedEncodingUses(probe?.definitions ?? [], c),
    ];
    for (const u of built) {
      if (uses.length >= 3) break;
      const text = readText(join(ctx.paths.tree, u.source));
      if (text.includes(c.name)) uses.push(...encodingUses(text, c.name).map((l) => `${u.source}: ${l}`));
    }
    if (uses.length > 0) return encodingReason(c, uses);
  }
  return undefined;
}

/**
 * The expansion-level changes seen by the first includer that preprocesses; units that
 * include the header themselves are tried first (the index's indirect includers may not).
 */
async function probeExpansions(ctx: HeaderPlanContext, header: string, built: Unit[]) {
  const includes = ctx.index().includes;
  const direct = built.filter((u) => includes[u.source]?.includes(header));
  const tries = [...direct, ...built.filter((u) => !direct.includes(u))].slice(0, 5);
  for (const u of tries) {
    const object = objectOfSource(u.source);
    const unit = (await preprocessPristine(ctx.paths, [object], ctx.options)).get(object);
    if (!unit?.reads.includes(header)) continue;
    const found = await expansionChanges(
      ctx.paths.tree,
      ctx.viewDir,
      unit,
      ctx.options.workDir,
      ctx.options.logFile,
    );
    if (found) return found;
  }
  return undefined;
}

/**
 * Fixed-side preprocessing results of this process, by what they depend on: a unit reached by
 * several changed headers (an update changes dozens) is preprocessed once, not once per
 * header, and a later triage round reuses it when the files it reads are the same.
 */
const fixedHashes = new Map<string, string | undefined>();

/**
 * What a unit's fixed preprocessing reads that can differ from the tree: the view's copies of
 * the files it read (a file the fixes touch is a real file there, every other one a link into
 * the tree) and the files the fixes create.
 */
function fixedInputsKey(ctx: HeaderPlanContext, unit: PreprocessedUnit, created: string[]): string {
  const hash = createHash("sha256").update(`${ctx.paths.tree}\0${JSON.stringify(unit.command)}`);
  for (const file of [...unit.reads.filter((r) => !isAbsolute(r)), ...created]) {
    const path = join(ctx.viewDir, file);
    let stat: Stats | undefined;
    try {
      stat = lstatSync(path);
    } catch {
      hash.update(`\0${file}\0missing`);
      continue;
    }
    if (stat.isFile()) hash.update(`\0${file}\0`).update(readFileSync(path));
  }
  return hash.digest("hex");
}

/**
 * The candidates whose preprocessed text the fix changes. A unit the preprocessor fails on is
 * kept (its compile will tell); one that does not read the header at all is dropped.
 */
async function changedByPreprocessor(
  ctx: HeaderPlanContext,
  header: string,
  candidates: Unit[],
): Promise<Unit[]> {
  if (candidates.length === 0) return [];
  const objects = candidates.map((u) => objectOfSource(u.source));
  const pristineProgress = counter(
    `preprocessing the units including ${header} (pristine, cached)`,
    objects.length,
  );
  const pristine = await preprocessPristine(ctx.paths, objects, {
    ...ctx.options,
    progress: (done) => pristineProgress.tick(done),
  });
  pristineProgress.end();
  refreshScratchView(ctx.viewDir); // headers kbuild generated beside sources meanwhile
  for (const unit of pristine.values()) realizeParentReferences(ctx.viewDir, unit.climbs);
  const fixedProgress = counter(`preprocessing the units including ${header} (fixed)`, candidates.length);
  const created = ctx.touched.filter((t) => t.created).map((t) => t.path);
  let done = 0;
  const keep = await mapPool(candidates, ctx.options.jobs, async (_u, i) => {
    const unit: PreprocessedUnit | undefined = pristine.get(objects[i] as string);
    let changed = true;
    if (unit && !unit.reads.includes(header)) changed = false;
    else if (unit) {
      const key = fixedInputsKey(ctx, unit, created);
      let hash = fixedHashes.get(key);
      if (!fixedHashes.has(key)) {
        const out = join(ctx.options.workDir, "preprocessed", `${i}.i`);
        hash = await preprocessedHashInView(ctx.viewDir, unit, out, ctx.options.logFile);
        fixedHashes.set(key, hash);
      }
      changed = hash === undefined || hash !== unit.sha256;
    }
    fixedProgress.tick(++done);
    return changed;
  });
  fixedProgress.end();
  return candidates.filter((_, i) => keep[i]);
}
