// SPDX-License-Identifier: GPL-2.0-only
// The rounds of a build: apply the fixes, plan, compile, diff, and look for refusals. With one
// fix a refusal stops the build (exit 2). With several, the fix each refusal comes from is
// left out, named with its reason, and the rest is built again without it; a fix that then no
// longer applies or compiles is left out too. A unit reached by several fixes tells which one
// its refusal comes from by being rebuilt with the fixes up to each of them in turn.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { diffObjects } from "../diff/index.ts";
import { readElf } from "../elf/index.ts";
import type { UserError } from "../errors/user-error.ts";
import { compilePatched } from "../kernel/compile.ts";
import { parseSymvers, type Symvers } from "../kernel/symvers.ts";
import type { TargetPaths } from "../kernel/target-layout.ts";
import { fixFunctions } from "../klp/fix-functions.ts";
import { definitionLine } from "../klp/source-line.ts";
import type { CompiledUnit } from "./compile-units.ts";
import { type CrossUnitLinks, linkAcrossUnits } from "./cross-unit.ts";
import { type CompiledUnitDiff, diffUnits } from "./diff-units.ts";
import type { Fix } from "./fixes.ts";
import { prepareUnits } from "./inputs.ts";
import type { OverBudget } from "./plan-units.ts";
import { type OverriddenRefusal, overrideRefusals } from "./unsafe-override.ts";
import { type BuildRefusalItem, BuildRefusedError, reportedRefusal, type UnitRefusal } from "./verdicts.ts";
import { applySeries, type SeriesView } from "./view.ts";

export interface TriageRequest {
  paths: TargetPaths;
  fixes: Fix[];
  workDir: string;
  logFile: string;
  maxUnits: number;
  jobs: number;
  /** Refusal kinds built anyway (test-only, src/build/unsafe-override.ts); empty normally. */
  overrideKinds: ReadonlySet<string>;
}

/** A fix left out, and why. */
export interface LeftOut {
  verdict: "refused" | "not-applied";
  reasons: string[];
  refusals: BuildRefusalItem[];
}

/** Where the rounds ended: the fixes that stay, their units' diffs, and what was left out. */
export interface Settled {
  view: SeriesView;
  diffs: CompiledUnitDiff[];
  links: CrossUnitLinks;
  notes: string[];
  leftOut: Map<string, LeftOut>;
  /** The fixes' functions read from their hunks (to explain changes and attribute them). */
  sourceFunctions: Map<string, string[]>;
  /** What the rounds cost: how many, distinct units compiled, fixed compiles run. */
  stats: BuildStats;
  /** Refusals built anyway under the test-only override (empty normally). */
  overridden: OverriddenRefusal[];
}

export interface BuildStats {
  rounds: number;
  /** Distinct units compiled (pristine from the cache or by make, and with the fixes). */
  units: number;
  /** Compiles of fixed sources, all rounds (a unit whose inputs did not change is reused). */
  fixedCompiles: number;
}

interface Round {
  view: SeriesView;
  dir: string;
  diffs: CompiledUnitDiff[];
  links: CrossUnitLinks;
  notes: string[];
  refusals: UnitRefusal[];
  overridden: OverriddenRefusal[];
  compileFailures: Array<{ unit: { source: string; fixes: string[] }; error: UserError }>;
}

/** Fixed objects already compiled in this build, shared by every round (content key -> path). */
const reuseKey = Symbol("reuse");
const symversKey = Symbol("symvers");
const unitsKey = Symbol("units");
type RequestState = TriageRequest & {
  [reuseKey]: Map<string, string>;
  [symversKey]: Symvers;
  /** Every unit compiled in any round. */
  [unitsKey]: Set<string>;
};

/** `source:line` of a symbol, from the fixed view when it still exists, else the pristine tree. */
function whereDefined(viewDir: string, tree: string, source: string, symbol: string): string | undefined {
  for (const root of [viewDir, tree]) {
    const line = definitionLine(join(root, source), symbol);
    if (line !== undefined) return `${source}:${line}`;
  }
  return undefined;
}

function overBudgetRefusal(o: OverBudget, maxUnits: number): UnitRefusal {
  return {
    unit: { source: o.header, fixes: o.fixes },
    name: o.header,
    kind: "unsupported",
    reason: `the fix changes what ${o.units} built units compile (once preprocessed), more than this build's budget of ${maxUnits}`,
    suggestion: `raise the budget with --max-units ${o.units} (each unit costs a compile or two), or change fewer shared definitions`,
  };
}

async function runRound(
  req: RequestState,
  fixes: Fix[],
  leftOut: Map<string, LeftOut>,
  n: number,
): Promise<Round> {
  const single = req.fixes.length === 1;
  const dir = join(req.workDir, `round-${n}`);
  const inputs = await prepareUnits(req.paths, fixes, {
    workDir: dir,
    logFile: req.logFile,
    maxUnits: req.maxUnits,
    jobs: req.jobs,
    excluded: new Map([...leftOut].map(([name, l]) => [name, l.reasons.join("; ")])),
    strictApply: single,
    // A refused file decides a single fix's verdict; in a series its fixes are left out
    // before anything is compiled (file refusals need no object), and the next round builds
    // the rest.
    stopOnRefusal: true,
    reuse: req[reuseKey],
    objectsDir: req.workDir,
  });
  const { view } = inputs;
  for (const u of inputs.units) req[unitsKey].add(u.object);
  const round: Round = {
    view,
    dir,
    diffs: [],
    links: { globals: new Map(), refusals: [] },
    notes: [...inputs.notes],
    refusals: [],
    overridden: [],
    compileFailures: [],
  };
  for (const r of inputs.refusals)
    round.refusals.push({
      unit: { source: r.file, fixes: r.fixes },
      name: r.file,
      kind: r.kind,
      reason: r.reason,
    });
  for (const o of inputs.overBudget) round.refusals.push(overBudgetRefusal(o, req.maxUnits));
  if (view.applied.length === 0 || (single && inputs.refusals.length > 0)) return round;
  if (single && inputs.failures[0]) throw inputs.failures[0].error;
  round.compileFailures = inputs.failures.map((f) => ({ unit: f.candidate, error: f.error }));
  const fixText = view.applied.map((f) => f.text).join("\n");
  const { diffs, overridden } = overrideRefusals(
    await diffUnits(
      inputs.units,
      {
        tree: req.paths.tree,
        viewDir: view.dir,
        workDir: dir,
        fixText,
        logFile: req.logFile,
        completeHeaders: inputs.completeHeaders,
        symvers: req[symversKey],
      },
      round.notes,
    ),
    req.overrideKinds,
  );
  round.overridden = overridden;
  for (const d of diffs) {
    for (const r of d.diff.refused) {
      round.refusals.push({
        unit: d.unit,
        name: r.name,
        kind: r.kind,
        reason: r.reason,
        suggestion: r.suggestion,
        where: whereDefined(view.dir, req.paths.tree, d.unit.source, r.name),
      });
    }
  }
  // Units compiled only as evidence for an over-budget header do not go into the module.
  const planned = new Set(inputs.candidates.map((c) => c.object));
  round.diffs = diffs.filter((d) => planned.has(d.unit.object));
  round.links = linkAcrossUnits(round.diffs);
  round.refusals.push(...round.links.refusals);
  return round;
}

/**
 * Which of `unit.fixes` brings `failing` about: the unit is rebuilt with the applied fixes up
 * to each of them in turn, and the first build that fails names the culprit.
 */
async function culpritOf(
  req: RequestState,
  round: Round,
  unit: { source: string; fixes: string[]; pristine?: CompiledUnit["pristine"]; pristineObject?: string },
  failing: (result: { refusals: Array<{ name: string; kind: string }> } | "does-not-compile") => boolean,
): Promise<string> {
  const candidates = unit.fixes.filter((f) => round.view.applied.some((a) => a.name === f));
  const last = candidates[candidates.length - 1] ?? (unit.fixes[0] as string);
  if (candidates.length <= 1 || !unit.pristine || !unit.pristineObject) return last;
  // Only fixes that touch a file the unit reads (or create one) can change its object: an
  // update's series has hundreds of fixes, and applying them all per step would dominate.
  const reads = new Set(unit.pristine.reads);
  const relevant = (f: Fix) => f.touched.some((t) => t.created || reads.has(t.path));
  for (const [k, name] of candidates.slice(0, -1).entries()) {
    const upTo = round.view.applied.findIndex((f) => f.name === name);
    const dir = join(round.dir, `bisect-${unit.source.replaceAll("/", "_")}-${k}`);
    const view = await applySeries(
      req.paths.tree,
      join(dir, "view"),
      round.view.applied.slice(0, upTo + 1).filter(relevant),
      new Map(),
      {
        logFile: req.logFile,
        strictApply: false,
      },
    );
    const out = join(dir, "unit.o");
    const built = await compilePatched(
      view.dir,
      unit.pristine.command,
      out,
      req.logFile,
      unit.pristine.climbs,
    ).then(
      () => true,
      () => false,
    );
    if (!built) {
      if (failing("does-not-compile")) return name;
      continue;
    }
    const diff = diffObjects(readElf(readFileSync(unit.pristineObject)), readElf(readFileSync(out)));
    if (failing({ refusals: diff.refused })) return name;
  }
  return last;
}

/** The fix each refusal and compile failure of a round comes from. */
async function attribute(req: RequestState, round: Round): Promise<Map<string, LeftOut>> {
  const out = new Map<string, LeftOut>();
  const leave = (fix: string, verdict: LeftOut["verdict"], reason: string, item?: BuildRefusalItem) => {
    const entry = out.get(fix) ?? { verdict, reasons: [], refusals: [] };
    if (!entry.reasons.includes(reason)) entry.reasons.push(reason);
    if (item) entry.refusals.push(item);
    out.set(fix, entry);
  };
  for (const r of round.refusals) {
    const isFileLevel = !("pristine" in r.unit);
    const culprits = isFileLevel
      ? r.unit.fixes
      : [
          await culpritOf(
            req,
            round,
            r.unit,
            (res) =>
              res !== "does-not-compile" && res.refusals.some((x) => x.kind === r.kind && x.name === r.name),
          ),
        ];
    for (const fix of culprits)
      leave(fix, "refused", `${r.unit.source}: ${r.name}: ${r.reason}`, reportedRefusal(r, culprits));
  }
  for (const f of round.compileFailures) {
    const fix = await culpritOf(req, round, f.unit, (res) => res === "does-not-compile");
    const blockers = [...out.keys()];
    leave(
      fix,
      "not-applied",
      `${f.unit.source} does not compile with it${blockers.length > 0 ? ` (it may depend on ${blockers.join(", ")})` : ""}: ${f.error.message}`,
    );
  }
  return out;
}

/** Runs rounds until nothing more is left out; the single-fix build throws on a refusal. */
export async function settle(request: TriageRequest): Promise<Settled> {
  const req: RequestState = {
    ...request,
    [reuseKey]: new Map(),
    [symversKey]: parseSymvers(readFileSync(request.paths.symvers, "utf8")),
    [unitsKey]: new Set(),
  };
  const single = req.fixes.length === 1;
  const leftOut = new Map<string, LeftOut>();
  for (let n = 0; ; n++) {
    const round = await runRound(req, req.fixes, leftOut, n);
    for (const [name, reason] of round.view.notApplied)
      leftOut.set(name, { verdict: "not-applied", reasons: [reason], refusals: [] });
    if (round.refusals.length === 0 && round.compileFailures.length === 0) {
      return {
        view: round.view,
        diffs: round.diffs,
        links: round.links,
        notes: round.notes,
        leftOut,
        sourceFunctions: new Map(req.fixes.map((f) => [f.name, fixFunctions(f.text, req.paths.tree)])),
        stats: { rounds: n + 1, units: req[unitsKey].size, fixedCompiles: req[reuseKey].size },
        overridden: round.overridden,
      };
    }
    if (single) {
      const fix = req.fixes[0] as Fix;
      throw new BuildRefusedError(round.refusals.map((r) => reportedRefusal(r, [fix.name])));
    }
    const found = await attribute(req, round);
    if (found.size === 0) throw new Error("a refusal could not be attributed to any fix");
    for (const [name, l] of found) leftOut.set(name, l);
  }
}
