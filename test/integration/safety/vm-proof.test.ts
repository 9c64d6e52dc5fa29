// SPDX-License-Identifier: GPL-2.0-only
// Proof that the safety suite's refusals are right: a module hotpatch refuses to build would
// have broken the running kernel. For each case the normal build must refuse the fix with the
// expected kind; the same fix built anyway (the test-only HOTPATCH_TEST_BUILD_REFUSED, see
// src/build/unsafe-override.ts) is then loaded in a VM of debian:6.1.0-50-amd64 and the kernel
// misbehaves in the way the refusal predicts (test/fixtures/safety/README.md):
//   10 (class 1) binfmt_misc's flag enum renumbered: an entry registered before the patch
//      reads as disabled and its interpreter no longer runs (one registered after it works);
//   22 (class 5) binfmt_misc's `enabled` replaced by a lookalike: handlers an admin disabled
//      before the patch run again, and the status file says "enabled";
//   20 (class 5) exec's `formats` list renamed: every execve fails while the patch is active;
//   07 (class 1) a field inserted in binfmt_misc's Node: an entry registered before the patch
//      reads garbage, and an exec matching it oopses in the patched load_misc_binary;
//   16 (class 3) PFA_NO_NEW_PRIVS renumbered: a task that set no_new_privs before the patch
//      loses it, and a setuid-root program it runs gets euid 0. Its build compiles the
//      units of include/linux/sched.h's accessors (over 3 minutes here), so it runs only when
//      asked for: HOTPATCH_SAFETY_CASES=16 (or a list naming it).
// All cases share one VM boot (vm-proof-guest.sh), 07 last since its oops ends the VM.
// HOTPATCH_SAFETY_CASES=10,20 runs only those cases.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import type { TargetPaths } from "../../../src/kernel/target-layout.ts";
import { type CliResult, hotpatch, repoRoot } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { ensureTarget } from "../../helpers/target.ts";
import { compileCheck, TARGET } from "../build/helpers.ts";

const here = join(repoRoot, "test", "integration", "safety");
const fixturesDir = join(repoRoot, "test", "fixtures", "safety");
const OVERRIDE = "HOTPATCH_TEST_BUILD_REFUSED";
/** In the order the guest runs them: 07 oopses the kernel, so it is last. */
const ORDER = ["10", "22", "16", "20", "07"];
const SLOW = new Set(["16"]);
const BUILD_TIMEOUT_MS = 15 * 60_000;

interface Proof {
  fixture: string;
  /** The refusal the normal build must give: its kind and words of its reason. */
  kind: string;
  reason: RegExp;
}

const PROOFS: Record<string, Proof> = {
  "10": {
    fixture: "10-binfmt-misc-flag-enum-inserted.patch",
    kind: "unsafe-data",
    reason: /Enabled: 0 -> 1, Magic: 1 -> 2/,
  },
  "22": {
    fixture: "22-binfmt-misc-enabled-replaced-by-lookalike.patch",
    kind: "unsafe-data",
    reason: /replaces writable data enabled with new data misc_disabled/,
  },
  "16": {
    fixture: "16-sched-pfa-no-new-privs-bit.patch",
    kind: "unsafe-data",
    reason: /NO_NEW_PRIVS|atomic_flags/,
  },
  "20": {
    fixture: "20-exec-formats-list-renamed.patch",
    kind: "unsafe-data",
    reason: /replaces writable data formats with new data binfmt_handlers/,
  },
  "07": {
    fixture: "07-binfmt-misc-node-typedef-field.patch",
    kind: "unsafe-data",
    reason: /layout of typedef Node changed .*member magic: offset 32 -> 40/,
  },
};

const asked = (process.env.HOTPATCH_SAFETY_CASES ?? "")
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);
const selected = ORDER.filter((id) => (asked.length > 0 ? asked.includes(id) : !SLOW.has(id)));

const scratch = scratchDir("hotpatch-vm-proof");
const moduleOf = (id: string) => join(scratch, `hp_proof_${id}.ko`);
let target: TargetPaths;
/** Each case's unsafe build (exit 0 and the warnings naming what was overridden). */
const unsafeBuilds = new Map<string, CliResult>();
let vm: CliResult;
/** `<case> <before|after|...> <what>` -> value, from the guest's output. */
const seen = new Map<string, string>();

function build(id: string, env: Record<string, string> = {}): Promise<CliResult> {
  const fixture = join(fixturesDir, (PROOFS[id] as Proof).fixture);
  return hotpatch(
    ["build", "--target", TARGET, fixture, "-o", moduleOf(id), "--name", `hp_proof_${id}`, "--json"],
    { env, timeoutMs: BUILD_TIMEOUT_MS },
  );
}

before(
  async () => {
    if (selected.length === 0) return;
    target = await ensureTarget();
    for (const id of selected) unsafeBuilds.set(id, await build(id, { [OVERRIDE]: "unsafe-data" }));
    const built = selected.filter((id) => unsafeBuilds.get(id)?.exitCode === 0);
    if (built.length === 0) return;
    const helper = await compileCheck(join(here, "no-new-privs-setuid.c"), scratch);
    vm = await hotpatch(
      [
        ...["vm", "--target", TARGET, "--timeout", "300", "--"],
        ...["bash", join(here, "vm-proof-guest.sh"), target.modulesDir, helper],
        ...built.map((id) => `${id}=${moduleOf(id)}`),
      ],
      { timeoutMs: 360_000 },
    );
    for (const line of vm.stdout.split("\n")) {
      const m = /^(\d\d \S+(?: [^:]+)?|load refused): (.*)$/.exec(line);
      if (m) seen.set(m[1] as string, (m[2] as string).trim());
    }
  },
  { timeout: 4 * BUILD_TIMEOUT_MS },
);

/** The guest's line, or a failure showing everything the guest printed. */
function observed(key: string): string {
  const value = seen.get(key);
  if (value === undefined)
    assert.fail(`the guest printed no '${key}:' line.\nguest output:\n${vm?.stdout}\n${vm?.stderr}`);
  return value;
}

/** The build with the override made a module (else the VM could not have loaded it). */
function assertBuiltAnyway(id: string): void {
  const unsafe = unsafeBuilds.get(id) as CliResult;
  assert.equal(unsafe.exitCode, 0, `${id}: the build with ${OVERRIDE} must succeed:\n${unsafe.stderr}`);
}

/**
 * The refusal is what kept the module out: the override build names the refusal it let through
 * (checked first: it fails fast when the tool refuses nothing), and the normal build refuses.
 */
async function assertRefusedNormally(id: string): Promise<void> {
  const proof = PROOFS[id] as Proof;
  const unsafe = unsafeBuilds.get(id) as CliResult;
  const warnings = (JSON.parse(unsafe.stdout) as { warnings: string[] }).warnings;
  assert.ok(
    warnings.some((w) => w.includes(`built only because ${OVERRIDE}`) && proof.reason.test(w)),
    `${id}: the build with ${OVERRIDE} overrode no ${proof.kind} refusal matching ${proof.reason}: hotpatch builds this unsafe fix without the override. Its warnings:\n${warnings.join("\n")}`,
  );
  const normal = await build(id);
  assert.equal(normal.exitCode, 2, `${id}: the normal build must refuse the fix (exit 2):\n${normal.stderr}`);
  const refused = (JSON.parse(normal.stdout) as { refused: Array<{ kind: string; reason: string }> }).refused;
  assert.ok(
    refused.some((r) => r.kind === proof.kind && proof.reason.test(r.reason)),
    `${id}: a ${proof.kind} refusal matching ${proof.reason}, got:\n${refused.map((r) => `${r.kind}: ${r.reason}`).join("\n")}`,
  );
}

const run = (id: string) => ({ skip: !selected.includes(id), timeout: BUILD_TIMEOUT_MS });

test("hotpatch load refuses a module built despite refusals (in the VM, on the target kernel)", {
  skip: selected.length === 0,
}, () => {
  assert.match(
    observed("load refused"),
    /was built despite refusals \(unsafe-data\) with the test-only HOTPATCH_TEST_BUILD_REFUSED: it is unsafe by construction and is not loaded\.$/,
  );
});

test(
  "10 (class 1): flag bits renumbered: an entry registered before the patch reads disabled and is no longer run",
  run("10"),
  async () => {
    assertBuiltAnyway("10");
    assert.match(observed("10 before entry"), /^enabled interpreter \/bin\/cat .*extension \.hpx/);
    assert.equal(observed("10 before runs"), "cat");
    assert.match(observed("10 after entry"), /^disabled interpreter \/bin\/cat /);
    assert.match(observed("10 after runs"), /^none \(command not found\)/);
    // The patched code itself works: an entry registered after the patch is enabled and runs.
    assert.match(observed("10 after new-entry"), /^enabled /);
    assert.equal(observed("10 after new-runs"), "cat");
    await assertRefusedNormally("10");
  },
);

test(
  "22 (class 5): `enabled` replaced by a lookalike: handlers disabled before the patch run again",
  run("22"),
  async () => {
    assertBuiltAnyway("22");
    assert.equal(observed("22 before status"), "disabled");
    assert.match(observed("22 before runs"), /^none /);
    assert.equal(observed("22 after status"), "enabled");
    assert.equal(observed("22 after runs"), "cat");
    await assertRefusedNormally("22");
  },
);

test(
  "16 (class 3): PFA_NO_NEW_PRIVS renumbered: no_new_privs set before the patch is lost, a setuid-root program gets euid 0",
  run("16"),
  async () => {
    assertBuiltAnyway("16");
    assert.match(observed("16 before nnp"), /^1$/);
    assert.doesNotMatch(observed("16 before id"), /euid=0/);
    assert.equal(observed("16 after nnp"), "0");
    assert.match(observed("16 after id"), /uid=65534\(nobody\) .*euid=0\(root\)/);
    await assertRefusedNormally("16");
  },
);

test(
  "20 (class 5): exec's `formats` list renamed: every execve fails while the patch is active",
  run("20"),
  async () => {
    assertBuiltAnyway("20");
    assert.match(observed("20 before exec"), /^status=0/);
    // search_binary_handler walks the module's empty list and returns -ENOENT (bash 5.2: 127,
    // "cannot execute: required file not found").
    assert.match(observed("20 after exec"), /^status=127 required file not found/);
    assert.match(observed("20 unpatched exec"), /^status=0/);
    await assertRefusedNormally("20");
  },
);

test(
  "07 (class 1): a field inserted in Node: an entry registered before the patch reads garbage, and exec oopses",
  run("07"),
  async () => {
    assertBuiltAnyway("07");
    assert.match(observed("07 before entry"), /^enabled interpreter \/bin\/cat flags: +extension \.hpn/);
    assert.equal(observed("07 before runs"), "cat");
    // Old offsets read with the new layout: `interpreter` is the old `name`, `magic` the old NULL mask.
    assert.match(observed("07 after entry"), /^enabled interpreter hp_node flags: +extension \.\(null\)/);
    assert.equal(seen.get("07 after"), undefined, "the kernel must not survive the exec");
    assert.notEqual(vm.exitCode, 0);
    assert.match(
      vm.stderr,
      /The guest kernel (hit an oops or BUG|panicked): .*BUG: kernel NULL pointer dereference/,
    );
    const log = /full console: (\S+)\)/.exec(vm.stderr)?.[1];
    assert.ok(log, `the VM error names its console log:\n${vm.stderr}`);
    // The oops is in the livepatch's copy of load_misc_binary (strcmp on the NULL magic).
    assert.match(
      readFileSync(log, "utf8"),
      /RIP: 0010:strcmp\+[\s\S]*Call Trace:[\s\S]*load_misc_binary\+0x[0-9a-f]+\/0x[0-9a-f]+ \[hp_proof_07\]/,
    );
    await assertRefusedNormally("07");
  },
);

test("without 07, the VM ends normally after restoring the kernel", {
  skip: selected.length === 0 || selected.includes("07"),
}, () => {
  assert.equal(vm.exitCode, 0, `the guest script failed:\n${vm.stdout}\n${vm.stderr}`);
});
