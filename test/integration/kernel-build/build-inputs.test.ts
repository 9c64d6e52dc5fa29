// SPDX-License-Identifier: GPL-2.0-only
// The build front end on the real reference target: corpus fixes become pristine/fixed object
// pairs, the pristine code equals the running kernel's (run-pre matching against the
// extracted vmlinux and the target's .ko files), refusals carry reasons, the tree stays pristine.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { readFixes } from "../../../src/build/fixes.ts";
import { prepareUnits, type UnitInputs } from "../../../src/build/inputs.ts";
import { type ElfObject, readElf, STT } from "../../../src/elf/index.ts";
import { UserError } from "../../../src/errors/user-error.ts";
import type { UnitBuild } from "../../../src/kernel/build-types.ts";
import { compilePristine } from "../../../src/kernel/compile.ts";
import { loadKallsyms } from "../../../src/kernel/kallsyms.ts";
import { functionCode, matchUnit } from "../../../src/kernel/match.ts";
import type { TargetPaths } from "../../../src/kernel/target-layout.ts";
import { corpusDir, repoRoot } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { ensureTarget } from "../../helpers/target.ts";

let paths: TargetPaths;
before(async () => {
  paths = await ensureTarget();
});

const corpus = (name: string) => join(corpusDir, name);
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

function fn(obj: ElfObject, name: string) {
  const symbol = obj.symbols.find((s) => s.name === name && s.type === STT.FUNC && s.definedIn);
  assert.ok(symbol, `${name} is in the object`);
  return functionCode(obj, symbol);
}

/** Builds a corpus fix and checks the common promises; returns the single unit. */
/** Applies, plans and compiles the fixes at these paths (one round of the build). */
function inputsOf(...fixPaths: string[]): Promise<UnitInputs> {
  return prepareUnits(paths, readFixes(fixPaths));
}

async function buildOne(fix: string, object: string): Promise<{ inputs: UnitInputs; unit: UnitBuild }> {
  const treeSource = join(paths.tree, object.replace(/\.o$/, ".c"));
  const before = sha(treeSource);
  const inputs = await inputsOf(corpus(fix));
  assert.deepEqual(inputs.refusals, []);
  const unit = inputs.units.find((u) => u.object === object);
  assert.ok(unit, `${object} is an affected unit`);
  assert.notEqual(sha(unit.pristineObject), sha(unit.patchedObject), "pristine and fixed objects differ");
  assert.equal(sha(treeSource), before, "the tree's source is untouched");
  return { inputs, unit };
}

function bytesDiffer(a: ElfObject, b: ElfObject, name: string): boolean {
  return Buffer.compare(Buffer.from(fn(a, name).bytes), Buffer.from(fn(b, name).bytes)) !== 0;
}

test("cmdline_proc_show compiled from the target's source is the running kernel's, outside 5 relocation fields", async () => {
  const pristine = await compilePristine(paths, "fs/proc/cmdline.o");
  const obj = readElf(readFileSync(pristine.objectPath));
  assert.equal(fn(obj, "cmdline_proc_show").relocations.length, 5);
  const unit: UnitBuild = {
    source: "fs/proc/cmdline.c",
    object: "fs/proc/cmdline.o",
    klpObject: "vmlinux",
    pristineObject: pristine.objectPath,
    patchedObject: pristine.objectPath,
    becauseOf: [],
  };
  const match = await matchUnit(paths, unit, ["cmdline_proc_show"]);
  const ref = match.functions.get("cmdline_proc_show");
  const [entry] = loadKallsyms(paths.kallsyms).named("cmdline_proc_show");
  assert.equal(ref?.address, entry?.address);
  assert.equal(ref?.sympos, 0);
  assert.equal(match.resolve("saved_command_line")?.klpObject, "vmlinux");
});

test("corpus 01 (af_unix, vmlinux): unix_ioctl changes and the pristine one matches the running kernel", async () => {
  const { inputs, unit } = await buildOne("01-af_unix-siocatmark-nonstream.patch", "net/unix/af_unix.o");
  try {
    assert.equal(unit.klpObject, "vmlinux");
    assert.equal(unit.moduleFile, undefined);
    const pristine = readElf(readFileSync(unit.pristineObject));
    const patched = readElf(readFileSync(unit.patchedObject));
    assert.ok(bytesDiffer(pristine, patched, "unix_ioctl"));
    assert.ok(
      !bytesDiffer(pristine, patched, "unix_stream_connect"),
      "an untouched function compiles the same",
    );
    const match = await matchUnit(paths, unit, ["unix_ioctl", "unix_stream_connect"]);
    assert.equal(match.functions.get("unix_ioctl")?.how, "unique");
  } finally {
    inputs.cleanup();
  }
});

test("corpus 15 (sctp auth, module): klp object sctp, matches the target's sctp.ko", async () => {
  const { inputs, unit } = await buildOne("15-sctp-auth-chunk-list-capacity.patch", "net/sctp/auth.o");
  try {
    assert.equal(unit.klpObject, "sctp");
    assert.equal(unit.moduleFile, "kernel/net/sctp/sctp.ko");
    const pristine = readElf(readFileSync(unit.pristineObject));
    const patched = readElf(readFileSync(unit.patchedObject));
    assert.ok(bytesDiffer(pristine, patched, "sctp_auth_ep_add_chunkid"));
    const match = await matchUnit(paths, unit, ["sctp_auth_ep_add_chunkid"]);
    const ref = match.functions.get("sctp_auth_ep_add_chunkid");
    assert.equal(ref?.klpObject, "sctp");
    assert.equal(ref?.sympos, 0);
    // A vmlinux function it calls resolves to vmlinux.
    assert.equal(match.resolve("__fentry__")?.klpObject, "vmlinux");
  } finally {
    inputs.cleanup();
  }
});

test("corpus 12 (binfmt_misc, module): create_entry is inlined; bm_register_write matches binfmt_misc.ko", async () => {
  const { inputs, unit } = await buildOne("12-binfmt-misc-reject-flag-delimiter.patch", "fs/binfmt_misc.o");
  try {
    assert.equal(unit.klpObject, "binfmt_misc");
    const pristine = readElf(readFileSync(unit.pristineObject));
    const patched = readElf(readFileSync(unit.patchedObject));
    assert.ok(bytesDiffer(pristine, patched, "bm_register_write"));
    const match = await matchUnit(paths, unit, ["bm_register_write"]);
    assert.equal(match.functions.get("bm_register_write")?.klpObject, "binfmt_misc");
    // A static variable of the unit resolves inside the module.
    assert.equal(match.resolve("entries")?.klpObject, "binfmt_misc");
  } finally {
    inputs.cleanup();
  }
});

test("corpus 20 (ndisc, inlined static): ndisc_recv_na changes and matches; same-named locals resolve exactly", async () => {
  const { inputs, unit } = await buildOne("20-ndisc-accept-untracked-na-null-idev.patch", "net/ipv6/ndisc.o");
  try {
    const pristine = readElf(readFileSync(unit.pristineObject));
    const patched = readElf(readFileSync(unit.patchedObject));
    assert.ok(bytesDiffer(pristine, patched, "ndisc_recv_na"));
    const match = await matchUnit(paths, unit, ["ndisc_recv_na"]);
    assert.equal(match.functions.get("ndisc_recv_na")?.klpObject, "vmlinux");
    // dst_output is a static inline emitted in many units: several in kallsyms, ours resolved.
    const kallsyms = loadKallsyms(paths.kallsyms);
    if (kallsyms.named("dst_output").length > 1 && pristine.symbols.some((s) => s.name === "dst_output")) {
      const ref = match.resolve("dst_output");
      assert.ok(ref && ref.sympos > 0, "a non-unique symbol gets a sympos");
    }
  } finally {
    inputs.cleanup();
  }
});

test("corpus 28 (assembly + header): refused with reasons, nothing compiled", async () => {
  const inputs = await prepareUnits(paths, readFixes([corpus("28-x86-srso-safe-ret-intr-robust.patch")]), {
    stopOnRefusal: true,
  });
  try {
    const refused = new Map(inputs.refusals.map((r) => [r.file, r.reason]));
    assert.match(refused.get("arch/x86/entry/entry_64.S") ?? "", /assembly/);
    assert.match(refused.get("arch/x86/lib/retpoline.S") ?? "", /assembly/);
    // The header reaches far more units than one build may compile.
    assert.deepEqual(
      inputs.overBudget.map((o) => o.header),
      ["arch/x86/include/asm/nospec-branch.h"],
    );
  } finally {
    inputs.cleanup();
  }
});

test("a fix that does not apply names the file and hunk; a lib/ unit is compiled and marked as built without ftrace", async () => {
  const bad = join(scratchDir("fix"), "bad.patch");
  writeFileSync(
    bad,
    readFileSync(corpus("01-af_unix-siocatmark-nonstream.patch"), "utf8").replace(
      "int answ = 0;",
      "int answ = 42;",
    ),
  );
  await assert.rejects(inputsOf(bad), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /hunk #1 of net\/unix\/af_unix\.c does not apply/);
    return true;
  });
  // Whether a unit can be redirected is read from its compile command, not from its path.
  const lib = join(scratchDir("fix"), "lib.patch");
  const line = readFileSync(join(paths.tree, "lib/string.c"), "utf8").split("\n")[0];
  writeFileSync(lib, `--- a/lib/string.c\n+++ b/lib/string.c\n@@ -1 +1,2 @@\n+/* x */\n ${line}\n`);
  const inputs = await inputsOf(lib);
  try {
    assert.deepEqual(inputs.refusals, []);
    assert.deepEqual(
      inputs.units.map((u) => [u.object, Boolean(u.noFtrace)]),
      [["lib/string.o", true]],
    );
  } finally {
    inputs.cleanup();
  }
});

test("a unit built with its own flags (the EFI stub, the real-mode trampoline) is refused with its reason, not a crash", async () => {
  const source = "drivers/firmware/efi/libstub/alignedmem.c";
  const fix = join(repoRoot, "test", "fixtures", "safety", "47-efi-stub-own-flags-boot-code.patch");
  const inputs = await inputsOf(fix);
  try {
    assert.deepEqual(inputs.units, []);
    assert.deepEqual(inputs.failures, []);
    assert.equal(inputs.refusals.length, 1);
    const [refusal] = inputs.refusals;
    assert.equal(refusal?.file, source);
    assert.equal(refusal?.kind, "unsupported");
    assert.match(
      refusal?.reason ?? "",
      /alignedmem\.o is built with its own compiler flags.*out of livepatch's reach/,
    );
  } finally {
    inputs.cleanup();
  }
});

test("a header fix reaches the units whose preprocessed text it changes (Makefile-free include scan, then the preprocessor)", async () => {
  const header = "fs/afs/afs_cm.h";
  const fix = join(scratchDir("fix"), "header.patch");
  // CM_SERVICE is used by rxrpc.c only; cmservice.c includes the header too but does not change.
  writeFileSync(
    fix,
    `--- a/${header}\n+++ b/${header}\n@@ -11,3 +11,3 @@\n #define AFS_CM_PORT\t\t7001\t/* AFS file server port */\n-#define CM_SERVICE\t\t1\t/* AFS File Service ID */\n+#define CM_SERVICE\t\t3\t/* AFS File Service ID */\n \n`,
  );
  const inputs = await inputsOf(fix);
  try {
    assert.deepEqual(inputs.refusals, []);
    assert.deepEqual(
      inputs.units.map((u) => u.object),
      ["fs/afs/rxrpc.o"],
    );
    const [unit] = inputs.units;
    assert.equal(unit?.klpObject, "kafs");
    assert.deepEqual(unit?.becauseOf, [header]);
    assert.ok(
      inputs.notes.some((n) => n.includes("1 of 2 built units including it change once preprocessed")),
    );
  } finally {
    inputs.cleanup();
  }
});
