// SPDX-License-Identifier: GPL-2.0-only
// The differ on small C fixtures (test/fixtures/diff/<case>/{orig,patched}.c) compiled on the
// spot with kernel-like code generation flags (-mcmodel=kernel, -mfentry -pg, function and
// data sections): one case per rule of issue 4.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { type DiffResult, diffObjects, sameWithOldLineNumbers } from "../../../src/diff/index.ts";
import { readElf } from "../../../src/elf/index.ts";
import { withOldLineNumbers } from "../../../src/kernel/hunks.ts";
import { fixFunctions } from "../../../src/klp/fix-functions.ts";
import { kernelCflags } from "../../helpers/kernel-object.ts";
import { scratchDir } from "../../helpers/scratch.ts";

const fixtures = fileURLToPath(new URL("../../fixtures/diff", import.meta.url));
const work = scratchDir("hotpatch-diff");

/** Both versions are compiled as `unit.c` so that __FILE__ is the same, as in a real rebuild. */
async function compile(name: string, which: "orig" | "patched"): Promise<Uint8Array> {
  return compileFile(join(fixtures, name, `${which}.c`), `${name}.${which}`);
}

async function compileFile(source: string, label: string): Promise<Uint8Array> {
  const dir = join(work, label);
  mkdirSync(dir, { recursive: true });
  copyFileSync(source, join(dir, "unit.c"));
  const out = join(work, `${label}.o`);
  await execa("gcc", [...kernelCflags, "-I", fixtures, "unit.c", "-o", out], { cwd: dir });
  return readFileSync(out);
}

async function diffCase(name: string): Promise<DiffResult> {
  const [a, b] = await Promise.all([compile(name, "orig"), compile(name, "patched")]);
  return diffObjects(readElf(a), readElf(b));
}

/**
 * The case diffed as `hotpatch build` does it: the fix (made here with diff -u) is also built
 * with the old line numbers (#line, withOldLineNumbers), and what is unchanged there differs
 * only by line numbers the fix moved.
 */
async function diffCaseWithFix(name: string): Promise<DiffResult> {
  const tree = join(work, name, "tree");
  mkdirSync(tree, { recursive: true });
  copyFileSync(join(fixtures, name, "orig.c"), join(tree, "unit.c"));
  const labels = ["--label", "a/unit.c", "--label", "b/unit.c"];
  const made = await execa("diff", ["-u", ...labels, "unit.c", join(fixtures, name, "patched.c")], {
    cwd: tree,
    reject: false,
  });
  const fixPath = join(work, `${name}.patch`);
  writeFileSync(fixPath, made.stdout);
  const oldLinesSource = join(work, `${name}.old-lines.c`);
  writeFileSync(
    oldLinesSource,
    withOldLineNumbers(readFileSync(join(fixtures, name, "orig.c"), "utf8"), made.stdout, "unit.c"),
  );
  const [a, b, c] = await Promise.all([
    compile(name, "orig"),
    compile(name, "patched"),
    compileFile(oldLinesSource, `${name}.old-lines`),
  ]);
  const options = { sourceFunctions: fixFunctions(readFileSync(fixPath, "utf8"), tree) };
  const plain = diffObjects(readElf(a), readElf(b), options);
  const same = sameWithOldLineNumbers(plain, diffObjects(readElf(a), readElf(c), options));
  return diffObjects(readElf(a), readElf(b), { ...options, sameWithOldLineNumbers: same });
}

const names = (result: DiffResult, status: string) =>
  result.functions
    .filter((f) => f.status === status)
    .map((f) => f.name)
    .sort();

test("body change: only the changed function, with its __fentry__", async () => {
  const r = await diffCase("body-change");
  assert.equal(r.verdict, "patchable");
  assert.deepEqual(names(r, "changed"), ["limit_of"]);
  assert.ok(r.functions.find((f) => f.name === "limit_of")?.hasFentry);
  assert.ok(
    r.functions.find((f) => f.name === "limit_of")?.specialEntries.some((e) => e.section === "__mcount_loc"),
  );
});

test("new function: the caller changes, the callee is new and included", async () => {
  const r = await diffCase("new-function");
  assert.equal(r.verdict, "patchable");
  assert.deepEqual(names(r, "changed"), ["handle"]);
  assert.deepEqual(names(r, "new"), ["check_input"]);
  assert.match(
    r.functions.find((f) => f.name === "handle")?.reasons.join(";") ?? "",
    /calls new function check_input/,
  );
  assert.equal(r.references.find((x) => x.name === "check_input")?.kind, "included");
});

test("inlined callee: every caller it was inlined into changes, and says so with the fix's function list", async () => {
  const r = await diffCase("inlined-callee");
  assert.deepEqual(names(r, "changed"), ["first", "second"]);
  const hinted = diffObjects(
    readElf(readFileSync(join(work, "inlined-callee.orig.o"))),
    readElf(readFileSync(join(work, "inlined-callee.patched.o"))),
    { sourceFunctions: ["valid"] },
  );
  for (const f of hinted.functions.filter((x) => x.status === "changed"))
    assert.ok(f.reasons.includes("inlines valid"), f.reasons.join(";"));
});

test("static local: correlated to the running kernel's copy, referenced by its original name", async () => {
  const r = await diffCase("static-local");
  assert.equal(r.verdict, "patchable");
  assert.deepEqual(names(r, "changed"), ["count_calls"]);
  const match = r.staticLocals.find((m) => m.orig.startsWith("calls."));
  assert.ok(match, JSON.stringify(r.staticLocals));
  const ref = r.references.find((x) => x.origName === match.orig);
  assert.equal(ref?.kind, "local");
});

test("string literal: the user changes, the new string is carried as rodata", async () => {
  const r = await diffCase("string-literal");
  assert.deepEqual(names(r, "changed"), ["report"]);
  assert.ok(r.references.some((x) => x.kind === "new-rodata" && x.usedBy.includes("report")));
});

test("WARN line shift: no change, ignored with the reason", async () => {
  const r = await diffCase("warn-line-shift");
  assert.equal(r.verdict, "no-change");
  assert.deepEqual(
    r.ignored.map((i) => i.name),
    ["guarded"],
  );
  assert.match(r.ignored[0]?.reason ?? "", /__LINE__/);
});

test("ext4 error/journal helper line shift: no change, ignored with the reason", async () => {
  const r = await diffCase("fs-error-line-shift");
  assert.equal(r.verdict, "no-change");
  assert.deepEqual(
    r.ignored.map((i) => i.name),
    ["check_inode"],
  );
});

test("a filesystem helper's __LINE__ in %r8d and %ecx: changed alone, only moved lines against the old-line-numbers build", async () => {
  const alone = await diffCase("fs-helper-line-shift");
  assert.deepEqual(names(alone, "changed"), ["fs_check"], "an unknown callee: the immediate is a change");
  const r = await diffCaseWithFix("fs-helper-line-shift");
  assert.equal(r.verdict, "no-change");
  assert.deepEqual(
    r.ignored.map((i) => i.name),
    ["fs_check"],
  );
  assert.match(r.ignored[0]?.reason ?? "", /only line numbers the fix moved changed/);
});

test("a constant the fix changes stays a change, even where it equals a moved line number", async () => {
  const edited = await diffCaseWithFix("fs-helper-constant-change");
  assert.equal(edited.verdict, "patchable");
  assert.deepEqual(names(edited, "changed"), ["fs_check"]);
  const inlined = await diffCaseWithFix("moved-lines-inlined-edit");
  assert.deepEqual(names(inlined, "changed"), ["fs_caller", "third"], "the caller of the edited inline");
  const constant = await diffCaseWithFix("moved-lines-static-const");
  assert.deepEqual(names(constant, "changed"), ["check"], "a static const, not a #define");
});

test("changed initialised global data: refused as unsafe-data with a suggestion", async () => {
  const r = await diffCase("data-changed");
  assert.equal(r.verdict, "refused");
  const refusal = r.refused.find((x) => x.kind === "unsafe-data");
  assert.equal(refusal?.name, "limits");
  assert.match(refusal?.suggestion ?? "", /shadow/);
});

test("__init change: refused, init code already ran", async () => {
  const r = await diffCase("init-change");
  assert.equal(r.verdict, "refused");
  assert.deepEqual(
    r.refused.map((x) => [x.kind, x.name]),
    [["init-code", "setup"]],
  );
});

test("notrace change: refused, no __fentry__ to redirect", async () => {
  const r = await diffCase("notrace-change");
  assert.equal(r.verdict, "refused");
  assert.deepEqual(
    r.refused.map((x) => [x.kind, x.name]),
    [["no-fentry", "fast_path"]],
  );
});

test("notrace local helper: carried as a new copy, its traced callers replaced", async () => {
  const r = await diffCase("notrace-local-helper");
  assert.equal(r.verdict, "patchable");
  assert.deepEqual(names(r, "changed"), ["wrapper_a", "wrapper_b"]);
  assert.deepEqual(names(r, "new"), ["do_thing"]);
  const wrapper = r.functions.find((f) => f.name === "wrapper_a");
  assert.match(wrapper?.reasons.join("; ") ?? "", /calls do_thing, which the patch carries as a new copy/);
  const ref = r.references.find((x) => x.name === "do_thing");
  assert.equal(ref?.kind, "included");
});

test("notrace local helper whose address is stored in data: refused", async () => {
  const r = await diffCase("notrace-local-address-taken");
  assert.equal(r.verdict, "refused");
  assert.deepEqual(
    r.refused.map((x) => [x.kind, x.name]),
    [["no-fentry", "do_thing"]],
  );
});

test(".modinfo strings renumbered: module metadata, never refused as changed data", async () => {
  const r = await diffCase("modinfo-renumbered");
  assert.deepEqual(r.refused, []);
  assert.equal(r.verdict, "patchable");
  assert.deepEqual(names(r, "changed"), ["credits"]);
});

test("BTF_ID symbols renamed by moved lines pair up: the ops table pointing at them is unchanged", async () => {
  const r = await diffCase("btf-id-renumbered");
  assert.deepEqual(r.refused, []);
  assert.equal(r.verdict, "patchable");
  assert.deepEqual(names(r, "changed"), ["for_each_elem"]);
});

test("ops table that gains a member: refused as unsafe-data (existing objects keep the old table)", async () => {
  const r = await diffCase("ops-table-member");
  assert.equal(r.verdict, "refused");
  assert.deepEqual(
    r.refused.map((x) => [x.kind, x.name]),
    [["unsafe-data", "my_ops"]],
  );
  assert.match(r.refused[0]?.reason ?? "", /ops table/);
});

test("notrace local helper whose address code hands out (a callback): refused", async () => {
  const r = await diffCase("notrace-local-callback");
  assert.equal(r.verdict, "refused");
  assert.deepEqual(
    r.refused.map((x) => [x.kind, x.name]),
    [["no-fentry", "tick"]],
  );
});

test("an added export: no change, with a warning that a livepatch cannot export it", async () => {
  const r = await diffCase("export-added");
  assert.equal(r.verdict, "no-change");
  assert.ok(
    r.warnings.some((w) => /exports free_thing: a livepatch cannot add an export/.test(w)),
    r.warnings.join("\n"),
  );
});

test("rodata constant: a changed const table travels with its users, a new one is carried", async () => {
  const r = await diffCase("rodata-constant");
  assert.equal(r.verdict, "patchable");
  assert.deepEqual(names(r, "changed"), ["weigh"]);
  assert.match(
    r.functions.find((f) => f.name === "weigh")?.reasons.join(";") ?? "",
    /uses changed constant weights/,
  );
  assert.deepEqual(names(r, "new"), ["name_of"]);
  assert.equal(r.references.find((x) => x.name === "weights")?.kind, "new-rodata");
  assert.equal(r.references.find((x) => x.name === "names")?.kind, "new-rodata");
});

test("inlined callee that also stays out of line: the caller 'probably inlines' it", async () => {
  const r = await diffCase("inlined-out-of-line");
  assert.equal(r.verdict, "patchable");
  assert.deepEqual(names(r, "changed"), ["caller", "helper"]);
  assert.ok(r.functions.find((f) => f.name === "caller")?.reasons.includes("probably inlines helper"));
  assert.ok(!r.functions.find((f) => f.name === "helper")?.reasons.some((x) => x.includes("inlines")));
});

test("__init code that changed only because it inlines a patched function: ignored, not refused", async () => {
  const r = await diffCase("init-inlines-patched");
  assert.equal(r.verdict, "patchable", JSON.stringify(r.refused));
  assert.deepEqual(names(r, "changed"), ["announce"]);
  assert.match(r.ignored.find((i) => i.name === "setup")?.reason ?? "", /inlines announce/);
});

test("a changed notrace helper whose callers are notrace too, entered only from assembly: refused, the copy would never run", async () => {
  const r = await diffCase("noinstr-chain-unreached");
  assert.equal(r.verdict, "refused");
  assert.deepEqual(
    r.refused.map((x) => x.kind),
    ["no-fentry", "no-fentry"],
  );
  assert.ok(
    r.refused.every((x) => /would never be called/.test(x.reason)),
    JSON.stringify(r.refused),
  );
});
