// SPDX-License-Identifier: GPL-2.0-only
// The second kernel family, Debian 12's 6.12 (IBT, 16-byte call padding, objtool at the
// module link): the bundled real security fix (landlock whiteout, CVE-2026-89560) is built,
// its behaviour check fails on the unfixed kernel and passes with the livepatch (hotpatch demo:
// one build, two VM boots); the module carries what 6.12 needs (ENDBR64 on the functions
// reached through pointers, call padding, objtool's tables written for the patch's own code,
// no stray gcc padding table);
// and a fix whose code takes the address of a function the running kernel sealed is refused
// by the static IBT check, which a VM cannot do (TCG does not enforce CET).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { readElf, STT } from "../../../src/elf/index.ts";
import { hotpatch, repoRoot } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { ensureTarget, TARGET_6_12 } from "../../helpers/target.ts";

const fixes612 = new URL("./fixes-6.12/", import.meta.url).pathname;

before(async () => {
  await ensureTarget(TARGET_6_12);
});

test("hotpatch demo on 6.12: the landlock fix is built, fails unfixed, verifies patched", async () => {
  const keep = scratchDir("hp-demo-612");
  const r = await hotpatch(["demo", "--target", TARGET_6_12, "--keep", keep, "--json"]);
  assert.equal(r.exitCode, 0, r.stderr);
  const report = JSON.parse(r.stdout) as {
    build: { module: string; functions: Array<{ name: string; status: string }> };
    unfixed: { exitCode: number; output: string };
    verify: { ok: boolean; checkOutput: string };
  };
  assert.deepEqual(report.build.functions.map((f) => f.name).sort(), [
    "current_check_refer_path",
    "hook_path_link",
    "hook_path_mknod",
    "hook_path_rename",
  ]);
  assert.equal(report.unfixed.exitCode, 1, `the check fails on the unfixed kernel: ${report.unfixed.output}`);
  assert.match(report.unfixed.output, /leaving a whiteout/, report.unfixed.output);
  assert.equal(report.verify.ok, true);
  assert.match(report.verify.checkOutput, /Permission denied/);

  const ko = readElf(readFileSync(join(keep, "hp_landlock_whiteout.ko")));
  // The LSM hooks are reached through pointers (landlock's hook table): ENDBR64, as in the
  // running kernel. current_check_refer_path is only ever called directly: gcc gives it none,
  // there or here (the livepatch core enters a new function by returning into it).
  const entry = (name: string) => {
    const fn = ko.symbols.find((s) => s.name === name && s.type === STT.FUNC && s.definedIn);
    assert.ok(fn, `${name} is in the module`);
    assert.ok(fn.value >= 16n, `${name} has the 16 bytes of call padding before it`);
    return [...(fn.definedIn?.data.subarray(Number(fn.value), Number(fn.value) + 4) ?? [])];
  };
  for (const hook of ["hook_path_link", "hook_path_mknod", "hook_path_rename"])
    assert.deepEqual(entry(hook), [0xf3, 0x0f, 0x1e, 0xfa], `${hook} starts with ENDBR64`);
  assert.notDeepEqual(entry("current_check_refer_path"), [0xf3, 0x0f, 0x1e, 0xfa]);
  const names = new Set(ko.sections.map((s) => s.name));
  for (const written of [".orc_unwind_ip", ".orc_unwind", ".return_sites", "__mcount_loc"])
    assert.ok(names.has(written), `${written} is in the module`);
  // gcc's padding table of the stub's own functions may be there; none of the patch's code.
  for (const table of ko.sectionsByName("__patchable_function_entries"))
    for (const rel of ko.relocationsFor(table))
      assert.match(rel.symbol.definedIn?.name ?? "", /^\.(init|exit)\.text$/, "only the stub's functions");
  assert.ok(![...names].some((n) => n.startsWith(".discard")), "objtool's annotations went at the link");
  // No split BTF (kbuild skips it without a vmlinux in the tree): 6.12 loads such modules,
  // btf_module_notify() does nothing for btf_data_size 0, and the VM run above loaded it.
  assert.ok(!names.has(".BTF"));
  assert.ok(
    ko.symbols.some((s) => s.type === STT.FUNC && s.name.startsWith("__pfx_")),
    "objtool named the padding",
  );
});

test("a fix taking the address of a function the running kernel sealed is refused (ibt)", async () => {
  const out = join(scratchDir("hp-ibt"), "sealed.ko");
  const r = await hotpatch([
    "build",
    "--target",
    TARGET_6_12,
    join(fixes612, "cmdline-sealed-pointer.patch"),
    "-o",
    out,
    "--json",
  ]);
  assert.equal(r.exitCode, 2, r.stderr);
  const { refused } = JSON.parse(r.stdout) as {
    refused: Array<{ name: string; kind: string; reason: string }>;
  };
  assert.deepEqual(
    refused.map((x) => [x.kind, x.name]),
    [["ibt", "vmlinux:get_gate_vma,0"]],
  );
  assert.match(refused[0]?.reason ?? "", /ENDBR64 sealed .* takes its address/);
  assert.ok(!existsSync(out), "nothing is written for a refused module");
});

test("one fix for both families: build --target A --target B, then verify each module in its own kernel's VM", async () => {
  const dir = scratchDir("hp-two-targets");
  const fix = new URL("./fixes/cmdline-sample.patch", import.meta.url).pathname;
  const targets = ["--target", "debian:6.1.0-50-amd64", "--target", TARGET_6_12];
  const built = await hotpatch(["build", ...targets, fix, "-o", dir, "--name", "hp_cmdline", "--json"]);
  assert.equal(built.exitCode, 0, built.stderr);
  const { targets: outcomes } = JSON.parse(built.stdout) as {
    targets: Array<{ target: string; ok: boolean; report: { module: string } }>;
  };
  assert.deepEqual(
    outcomes.map((o) => [o.target, o.ok, o.report.module]),
    [
      ["debian:6.1.0-50-amd64", true, join(dir, "hp_cmdline-6.1.0-50-amd64.ko")],
      [TARGET_6_12, true, join(dir, "hp_cmdline-6.12.107+deb12-amd64.ko")],
    ],
  );
  // The modules in the opposite order: each is paired with its target by its vermagic.
  const verified = await hotpatch([
    "verify",
    ...targets,
    join(dir, "hp_cmdline-6.12.107+deb12-amd64.ko"),
    join(dir, "hp_cmdline-6.1.0-50-amd64.ko"),
    "--check",
    "grep ' hotpatched$' /proc/cmdline",
    "--json",
  ]);
  assert.equal(verified.exitCode, 0, verified.stderr);
  const { results } = JSON.parse(verified.stdout) as {
    results: Array<{ target: string; report: { ok: boolean } }>;
  };
  assert.deepEqual(
    results.map((r) => [r.target, r.report.ok]),
    [
      [TARGET_6_12, true],
      ["debian:6.1.0-50-amd64", true],
    ],
  );
});

test("a fix that applies to one family only is reported for the other target alone", async () => {
  const dir = scratchDir("hp-one-of-two");
  const r = await hotpatch([
    "build",
    "--target",
    "debian:6.1.0-50-amd64",
    "--target",
    TARGET_6_12,
    join(repoRoot, "fixes", "02-landlock-whiteout-make-reg.patch"),
    "-o",
    dir,
    "--json",
  ]);
  assert.equal(r.exitCode, 1, r.stderr);
  const { targets } = JSON.parse(r.stdout) as {
    targets: Array<{ target: string; ok: boolean; error?: string }>;
  };
  assert.deepEqual(
    targets.map((t) => [t.target, t.ok]),
    [
      ["debian:6.1.0-50-amd64", false],
      [TARGET_6_12, true],
    ],
  );
  assert.match(targets[0]?.error ?? "", /does not apply to the target's source/);
  assert.match(r.stderr, /The fix was not built for 1 of 2 targets: debian:6\.1\.0-50-amd64\./);
});
