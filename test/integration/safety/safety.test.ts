// SPDX-License-Identifier: GPL-2.0-only
// The safety suite (issue 9): crafted fixes of every class on real files of the target, each with
// the verdict `hotpatch build` must give — refuse (exit 2, with a refusal kind), build (exit 0,
// with the functions and objects the patch must contain) or no-change (exit 3). The cases and
// the reason for each verdict are in test/fixtures/safety/cases.tsv; README.md there explains
// the classes. A failure names the case, the verdict expected and what the tool said.
// HOTPATCH_SAFETY_CASES=07,10 runs only those cases (the manifest checks always run).
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { execa } from "execa";
import type { TargetPaths } from "../../../src/kernel/target-layout.ts";
import { type CliResult, hotpatch, repoRoot } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { ensureTarget } from "../../helpers/target.ts";
import { TARGET } from "../build/helpers.ts";

const fixturesDir = join(repoRoot, "test", "fixtures", "safety");
const CLASSES = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];
/** The widest case (a header inline reaching 41 units) compiles for minutes on a cold cache. */
const BUILD_TIMEOUT_MS = 30 * 60_000;

type Expectation =
  | { verdict: "refuse"; kinds: string[]; orBuild?: string[] }
  | { verdict: "build"; functions: string[]; objects: string[] }
  | { verdict: "no-change" };

interface SafetyCase {
  id: string;
  file: string;
  issueClass: string;
  expectation: Expectation;
  why: string;
}

const list = (text: string, separator: string): string[] =>
  text
    .split(separator)
    .map((s) => s.trim())
    .filter(Boolean);

/** `a,b; key=c,d` -> the head list and the keyed lists. */
function parseSpec(spec: string): { head: string; keyed: Map<string, string> } {
  const [head = "", ...rest] = spec.split(";").map((s) => s.trim());
  const keyed = new Map<string, string>();
  for (const part of rest) {
    const m = /^([a-z-]+)=(.*)$/.exec(part);
    if (!m) throw new Error(`cases.tsv: cannot read '${part}' in '${spec}'`);
    keyed.set(m[1] as string, m[2] as string);
  }
  return { head, keyed };
}

function parseExpectation(expected: string, spec: string): Expectation {
  const { head, keyed } = parseSpec(spec);
  switch (expected) {
    case "refuse": {
      const orBuild = keyed.get("or-build");
      return { verdict: "refuse", kinds: list(head, "|"), orBuild: orBuild ? list(orBuild, ",") : undefined };
    }
    case "build":
      return { verdict: "build", functions: list(head, ","), objects: list(keyed.get("objects") ?? "", ",") };
    case "no-change":
      return { verdict: "no-change" };
    default:
      throw new Error(`cases.tsv: unknown expected verdict '${expected}'`);
  }
}

function loadCases(): SafetyCase[] {
  const lines = readFileSync(join(fixturesDir, "cases.tsv"), "utf8")
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"));
  const [header, ...rows] = lines;
  assert.equal(header, "id\tfile\tclass\texpected\tkind_or_functions\twhy", "cases.tsv header");
  return rows.map((row) => {
    const cells = row.split("\t");
    assert.equal(cells.length, 6, `cases.tsv: 6 tab-separated columns expected in: ${row}`);
    const [id, file, issueClass, expected, spec, why] = cells as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    return { id, file, issueClass, expectation: parseExpectation(expected, spec), why };
  });
}

const cases = loadCases();
const only = new Set(list(process.env.HOTPATCH_SAFETY_CASES ?? "", ","));
let target: TargetPaths;
const scratch = scratchDir("hotpatch-safety");

before(async () => {
  target = await ensureTarget();
});

interface BuildReportJson {
  objects?: string[];
  functions?: Array<{ name: string; object: string }>;
  refused?: Array<{ name: string; kind: string }>;
}

function reportOf(result: CliResult): BuildReportJson {
  try {
    return JSON.parse(result.stdout) as BuildReportJson;
  } catch {
    return {};
  }
}

/** What the tool said, in one line: its verdict and the evidence the suite checks. */
function outcome(result: CliResult): string {
  const report = reportOf(result);
  if (result.exitCode === 0) {
    const functions = (report.functions ?? []).map((f) => f.name).join(", ");
    return `exit 0, built (objects: ${(report.objects ?? []).join(", ")}; functions: ${functions})`;
  }
  if (result.exitCode === 2 && report.refused) {
    return `exit 2, refused: ${report.refused.map((r) => `${r.name}: ${r.kind}`).join("; ")}`;
  }
  const sentence = result.stderr.split("\n").find((l) => l.startsWith("hotpatch: ")) ?? result.stderr.trim();
  return `exit ${result.exitCode}: ${sentence}`;
}

function expectationText(e: Expectation): string {
  switch (e.verdict) {
    case "refuse":
      return `refuse (exit 2) with kind ${e.kinds.join(" or ")}${e.orBuild ? `, or a build with ${e.orBuild.join(", ")}` : ""}`;
    case "build":
      return `build (exit 0) with functions ${e.functions.join(", ")}${e.objects.length ? ` in objects ${e.objects.join(", ")}` : ""}`;
    case "no-change":
      return "no change (exit 3)";
  }
}

const missing = (wanted: string[], have: string[]): string[] => wanted.filter((w) => !have.includes(w));

/** Undefined when the result meets the expectation, else what is wrong. */
function mismatch(e: Expectation, result: CliResult): string | undefined {
  const report = reportOf(result);
  const functions = (report.functions ?? []).map((f) => f.name);
  switch (e.verdict) {
    case "refuse": {
      if (result.exitCode === 0 && e.orBuild && missing(e.orBuild, functions).length === 0) return undefined;
      if (result.exitCode !== 2) return "not refused";
      const kinds = (report.refused ?? []).map((r) => r.kind);
      return kinds.some((k) => e.kinds.includes(k)) ? undefined : "refused, but not for the expected reason";
    }
    case "build": {
      if (result.exitCode !== 0) return "not built";
      const lacking = [
        ...missing(e.functions, functions),
        ...missing(e.objects, report.objects ?? []).map((o) => `object ${o}`),
      ];
      return lacking.length === 0 ? undefined : `built without ${lacking.join(", ")}`;
    }
    case "no-change":
      return result.exitCode === 3 ? undefined : "not reported as changing nothing";
  }
}

test("the manifest lists every fixture once, with at least two cases per class of issue 9", () => {
  const ids = cases.map((c) => c.id);
  assert.deepEqual([...new Set(ids)], ids, "case ids are unique");
  const patches = readdirSync(fixturesDir).filter((f) => f.endsWith(".patch"));
  assert.deepEqual(
    cases.map((c) => c.file).sort(),
    patches.sort(),
    "every .patch is a case, every case a .patch",
  );
  for (const c of cases) {
    assert.ok(c.file.startsWith(`${c.id}-`), `${c.file} is named after its id ${c.id}`);
    assert.ok(CLASSES.includes(c.issueClass), `${c.id}: class ${c.issueClass} is one of issue 9's`);
    assert.ok(c.why.length > 40, `${c.id}: says why`);
  }
  for (const cls of CLASSES) {
    const n = cases.filter((c) => c.issueClass === cls).length;
    assert.ok(n >= 2, `class ${cls} has ${n} case(s)`);
  }
});

test("every fixture applies to the pristine target tree with patch -p1 --fuzz=0", async () => {
  for (const c of cases) {
    const r = await execa("patch", ["-p1", "--fuzz=0", "--dry-run", "-s", "-i", join(fixturesDir, c.file)], {
      cwd: target.tree,
      reject: false,
    });
    assert.equal(r.exitCode, 0, `${c.file} does not apply: ${r.stdout}${r.stderr}`);
  }
});

for (const c of cases) {
  const title = `${c.id} (class ${c.issueClass}) ${c.expectation.verdict}: ${c.file.replace(/^\d+-|\.patch$/g, "")}`;
  test(title, { skip: only.size > 0 && !only.has(c.id), timeout: BUILD_TIMEOUT_MS }, async () => {
    const fixture = join(fixturesDir, c.file);
    assert.ok(existsSync(fixture), `${fixture} exists`);
    const result = await hotpatch(
      ["build", "--target", TARGET, fixture, "-o", join(scratch, `${c.id}.ko`), "--json"],
      { timeoutMs: BUILD_TIMEOUT_MS },
    );
    const wrong = mismatch(c.expectation, result);
    if (wrong) {
      assert.fail(
        `${c.id}: ${wrong}.\n  expected: ${expectationText(c.expectation)}\n  got:      ${outcome(result)}\n  why:      ${c.why}`,
      );
    }
  });
}
