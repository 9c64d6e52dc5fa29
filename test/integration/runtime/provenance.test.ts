// SPDX-License-Identifier: GPL-2.0-only
// Provenance and safe replacement on the real target kernel, with livepatches built from two
// real fixes (corpus 01, af_unix SIOCATMARK, whose check fails on the unfixed kernel; corpus
// 04, fib_trie) and a cumulative module carrying both (built from the two patches
// concatenated). One VM boot drives `hotpatch load/list/status/install/load --all`
// (test/fixtures/runtime/guest-provenance.sh); a second one runs `hotpatch verify
// --upgrade-from` from 01's patch to the cumulative one.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import type { TargetPaths } from "../../../src/kernel/target-layout.ts";
import { runInTargetVm } from "../../../src/kernel/target-vm.ts";
import { fixProvenance } from "../../../src/klp/provenance.ts";
import { hotpatch, repoRoot } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { ensureTarget } from "../../helpers/target.ts";
import { compileCheck, SIOCATMARK_CHECK, TARGET } from "../build/helpers.ts";
import { fixturesDir, readGuestStep } from "./fixtures.ts";

const FIX01 = join(repoRoot, "fixes", "01-af_unix-siocatmark-nonstream.patch");
const FIX04 = join(repoRoot, "test", "fixtures", "corpus", "04-fib-trie-insert-err-kfree-rcu.patch");
const N01 = "hp_01_af_unix_siocatmark_nonstream";
const N04 = "hp_04_fib_trie_insert_err_kfree_rcu";
const N0104 = "hp_0104_cumulative";

interface FixJson {
  fix: string;
  sha256: string;
}

let paths: TargetPaths;
const modules = scratchDir("hp-provenance-modules");
let check: string;
let fix01: FixJson;
let fix04: FixJson;

/** The three modules: 01 and 04 built side by side with the CLI, the cumulative one from both. */
async function buildModules(): Promise<void> {
  const [b01, b04] = await Promise.all([
    hotpatch(["build", "--target", TARGET, FIX01, "-o", join(modules, "hp01.ko")]),
    hotpatch(["build", "--target", TARGET, FIX04, "-o", join(modules, "hp04.ko")]),
  ]);
  assert.equal(b01.exitCode, 0, b01.stderr);
  assert.equal(b04.exitCode, 0, b04.stderr);
  for (const b of [b01, b04]) {
    const waits = b.stderr.split("\n").filter((l) => l.includes("waiting for another hotpatch process"));
    assert.ok(waits.length <= 1, `a build said it waits more than once:\n${b.stderr}`);
  }
  // The cumulative module: both fixes as a series, recording the two fixes it carries.
  const both = await hotpatch([
    "build",
    "--target",
    TARGET,
    FIX01,
    FIX04,
    "--name",
    N0104,
    "-o",
    join(modules, "hp0104.ko"),
  ]);
  assert.equal(both.exitCode, 0, both.stderr);
}

before(async () => {
  paths = await ensureTarget();
  check = await compileCheck(SIOCATMARK_CHECK, modules);
  await buildModules();
  const p01 = fixProvenance(FIX01);
  const p04 = fixProvenance(FIX04);
  fix01 = { fix: p01.name, sha256: p01.sha256 };
  fix04 = { fix: p04.name, sha256: p04.sha256 };
});

describe("provenance and safe replacement on the target kernel (one boot)", () => {
  let outDir: string;
  const step = (name: string) => readGuestStep(outDir, name);
  const json = (name: string) => JSON.parse(step(name).out);
  const fixesOf = (list: { patches: Array<{ name: string; fixes: FixJson[] | null }> }) =>
    list.patches.map((p) => [p.name, p.fixes]);

  before(async () => {
    outDir = scratchDir("hp-provenance-out");
    const result = await runInTargetVm(paths, {
      command: ["bash", join(fixturesDir, "guest-provenance.sh"), modules, outDir, check],
      writableDir: outDir,
      timeoutSec: 600,
    });
    assert.equal(step("finished").out.trim(), "done", `guest script did not finish:\n${result.output}`);
    assert.doesNotMatch(result.console, /Oops|BUG:|general protection/);
  });

  test("the check fails on the unfixed kernel and passes with 01's patch, which records its fix", () => {
    assert.equal(step("check0").rc, 1, step("check0").out);
    assert.equal(step("load01").rc, 0, step("load01").err);
    assert.deepEqual(json("load01").fixes, [fix01]);
    assert.equal(step("check01").rc, 0, step("check01").out);
  });

  test("04's single-fix replace patch is refused with 01's fix and patch named; nothing changes", () => {
    const s = step("load04");
    assert.equal(s.rc, 1);
    assert.equal(s.out, "");
    assert.equal(
      s.err.trim(),
      `hotpatch: Loading ${N04} would drop fix ${fix01.fix} of loaded patch ${N01}: it replaces every loaded patch and does not carry it; nothing was loaded (load a cumulative patch that carries it too, or give --allow-drop).`,
    );
    assert.deepEqual(fixesOf(json("list04")), [[N01, [fix01]]]);
    assert.equal(step("module04").out.trim(), "0", "04's module was never inserted");
    assert.equal(step("check04").rc, 0, "SIOCATMARK is still refused");
  });

  test("the cumulative patch carrying 01 and 04 loads, retires 01's, and list shows both fixes", () => {
    const load = json("loadCum");
    assert.equal(step("loadCum").rc, 0, step("loadCum").err);
    assert.deepEqual(load.retired, [N01]);
    assert.deepEqual(load.removedModules, [N01]);
    assert.deepEqual(load.dropped, []);
    assert.deepEqual(fixesOf(json("listCum")), [[N0104, [fix01, fix04]]]);
    assert.match(
      step("listCumText").out,
      new RegExp(`${N0104}\\s+enabled\\s+replace\\s+.*${fix01.fix}, ${fix04.fix}`),
    );
    assert.match(step("statusCumText").out, new RegExp(`fix ${fix04.fix} \\(sha256 ${fix04.sha256}\\)`));
    assert.equal(step("module01AfterCum").out.trim(), "0");
    assert.equal(step("checkCum").rc, 0);
  });

  test("--allow-drop loads 04 alone over the cumulative patch and says it dropped 01; the hole is open again", () => {
    const s = step("load04drop");
    assert.equal(s.rc, 0, s.err);
    assert.deepEqual(json("load04drop").retired, [N0104]);
    assert.deepEqual(json("load04drop").dropped, [{ patch: N0104, fixes: [fix01] }]);
    assert.equal(step("checkDropped").rc, 1, "SIOCATMARK is accepted again: the drop was real");
    assert.equal(step("unload04").rc, 0, step("unload04").err);
  });

  test("a patch loaded with plain insmod: its fixes come from the installed copy with its build ID", () => {
    assert.equal(step("install01").rc, 0, step("install01").err);
    assert.deepEqual(fixesOf(json("listInsmod")), [[N01, [fix01]]]);
    assert.match(step("load04insmod").err, new RegExp(`would drop fix ${fix01.fix} of loaded patch ${N01}`));
    assert.equal(step("unload01").rc, 0, step("unload01").err);
  });

  test("the boot store: a patch that would drop an installed fix is refused, the cumulative one supersedes", () => {
    const refused = step("install04");
    assert.equal(refused.rc, 1);
    assert.match(
      refused.err,
      new RegExp(`Installing ${N04} would drop at boot fix ${fix01.fix} of installed patch ${N01}`),
    );
    assert.equal(step("install0104").rc, 0, step("install0104").err);
    const boot = json("bootAll");
    assert.equal(step("bootAll").rc, 0, step("bootAll").err);
    assert.deepEqual(boot.entries, [
      { name: N01, outcome: "superseded", detail: `replaced by ${N0104}` },
      { name: N0104, outcome: "loaded" },
    ]);
    assert.equal(step("checkBoot").rc, 0);
    assert.deepEqual(fixesOf(json("listBoot")), [[N0104, [fix01, fix04]]]);
  });
});

describe("hotpatch verify --upgrade-from", () => {
  test("01 -> cumulative 01+04: every step passes, the check before and after the replacement", async () => {
    const r = await hotpatch([
      ...["verify", "--target", TARGET, join(modules, "hp0104.ko")],
      ...["--upgrade-from", join(modules, "hp01.ko"), "--check", check, "--json"],
    ]);
    assert.equal(r.exitCode, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.deepEqual(report.upgradeFrom, { module: join(modules, "hp01.ko"), patch: N01 });
    assert.deepEqual(
      report.steps.map((s: { step: string; ok: boolean }) => [s.step, s.ok]),
      [
        ["load-old", true],
        ["transition-old", true],
        ["check-old", true],
        ["load", true],
        ["transition", true],
        ["retire-old", true],
        ["check", true],
        ["disable", true],
        ["unload", true],
      ],
    );
    assert.match(report.steps[2].output, /EOPNOTSUPP/);
    assert.match(report.checkOutput, /EOPNOTSUPP/);
  });
});
