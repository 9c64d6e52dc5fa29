// SPDX-License-Identifier: GPL-2.0-only
// How a DiffResult is shown: the --json document (schema in docs/diff.md) and the human
// report (a table of functions with status and reason, then refusals, ignored changes and
// warnings). Both come from the same result object.
import { ExitCode } from "../errors/user-error.ts";
import { table } from "../util/text-table.ts";
import type {
  DiffResult,
  FunctionDiff,
  IgnoredChange,
  LayoutChange,
  Refusal,
  StaticLocalMatch,
  SymbolReference,
} from "./types.ts";

export interface DiffJsonEntry {
  name: string;
  reason: string;
  origName?: string;
  reasons: string[];
  section: string;
  children: string[];
  specialEntries: FunctionDiff["specialEntries"];
}

export interface DiffJson {
  verdict: DiffResult["verdict"];
  exitCode: number;
  changed: DiffJsonEntry[];
  new: DiffJsonEntry[];
  removed: { name: string; reason: string }[];
  ignored: IgnoredChange[];
  refused: Refusal[];
  references: SymbolReference[];
  staticLocals: StaticLocalMatch[];
  warnings: string[];
  notes: string[];
  layoutChanges: LayoutChange[];
  functionUses: DiffResult["functionUses"];
  stats: DiffResult["stats"];
}

export function exitCodeOf(result: DiffResult): ExitCode {
  return result.verdict === "refused"
    ? ExitCode.REFUSED
    : result.verdict === "no-change"
      ? ExitCode.NO_CHANGE
      : ExitCode.OK;
}

function entry(f: FunctionDiff): DiffJsonEntry {
  return {
    name: f.name,
    reason: f.reasons.join("; "),
    ...(f.origName ? { origName: f.origName } : {}),
    reasons: f.reasons,
    section: f.section,
    children: f.children,
    specialEntries: f.specialEntries,
  };
}

export function toJson(result: DiffResult): DiffJson {
  return {
    verdict: result.verdict,
    exitCode: exitCodeOf(result),
    changed: result.functions.filter((f) => f.status === "changed").map(entry),
    new: result.functions.filter((f) => f.status === "new").map(entry),
    removed: result.functions
      .filter((f) => f.status === "removed")
      .map((f) => ({ name: f.name, reason: f.reasons.join("; ") })),
    ignored: result.ignored,
    refused: result.refused,
    references: result.references,
    staticLocals: result.staticLocals,
    warnings: result.warnings,
    notes: result.notes,
    layoutChanges: result.layoutChanges,
    functionUses: result.functionUses,
    stats: result.stats,
  };
}

const verdictLine: Record<DiffResult["verdict"], string> = {
  patchable: "verdict: patchable",
  "no-change": "verdict: no change (nothing to patch)",
  refused: "verdict: refused (cannot be live-patched as is)",
};

export function renderText(json: DiffJson): string {
  const out: string[] = [];
  const rows = [
    ...json.changed.map((f) => ["changed", f.name, f.reason]),
    ...json.new.map((f) => ["new", f.name, f.reason]),
  ];
  if (rows.length > 0) out.push(table([["STATUS", "FUNCTION", "REASON"], ...rows]), "");
  if (json.refused.length > 0) {
    out.push("refused:");
    for (const r of json.refused) {
      out.push(`  ${r.kind}: ${r.name}: ${r.reason}`);
      if (r.suggestion) out.push(`    suggestion: ${r.suggestion}`);
    }
    out.push("");
  }
  if (json.ignored.length > 0) {
    out.push(`ignored (${json.ignored.length}):`);
    for (const i of json.ignored.slice(0, 20)) out.push(`  ${i.name}: ${i.reason}`);
    if (json.ignored.length > 20) out.push(`  ... and ${json.ignored.length - 20} more (see --json)`);
    out.push("");
  }
  if (json.notes.length > 0) {
    out.push("notes:");
    for (const n of json.notes) out.push(`  ${n}`);
    out.push("");
  }
  for (const w of json.warnings) out.push(`warning: ${w}`);
  const debugInfo = json.stats.debugInfo;
  if (debugInfo)
    out.push(
      `debug information: ${debugInfo.types} types, ${debugInfo.constants} enum constants, ${debugInfo.variables} variables, ${debugInfo.functions} prototypes compared; ${json.layoutChanges.length} changed`,
    );
  const locals = json.references.filter((r) => r.kind === "local").length;
  out.push(
    `${json.stats.compared} functions compared, ${json.changed.length} changed, ${json.new.length} new, ${locals} local symbols referenced in the running kernel`,
  );
  out.push(verdictLine[json.verdict]);
  return out.join("\n");
}
