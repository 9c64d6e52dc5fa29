// SPDX-License-Identifier: GPL-2.0-only
// The checks a prepare relies on: free disk space, tools on PATH, kallsyms sanity, vermagic.
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { UserError } from "../../../src/errors/user-error.ts";
import { ensureFreeSpace, findInPath } from "../../../src/kernel/debian-preflight.ts";
import { targetCompiler } from "../../../src/kernel/debian-tree.ts";
import { vermagicOf } from "../../../src/kernel/debian-vermagic.ts";
import { checkKallsyms, elfLowestLoadAddress } from "../../../src/kernel/extract-kallsyms.ts";
import { scratchDir } from "../../helpers/scratch.ts";

test("a disk too small is refused with what is needed and what is available", () => {
  assert.throws(
    () => ensureFreeSpace("/tmp/hotpatch-does-not-exist/targets", 1024 ** 5),
    (e: unknown) =>
      e instanceof UserError && /needs about 1048576\.0 GB, but only [\d.]+ GB is available/.test(e.message),
  );
  ensureFreeSpace("/tmp", 1); // enough: no throw
});

test("findInPath finds programs only in the given PATH", () => {
  assert.ok(findInPath("sh", "/usr/bin:/bin"));
  assert.equal(findInPath("sh", "/nonexistent"), undefined);
});

function kallsymsText(count: number, address: (i: number) => string): string {
  const lines = ["ffffffff81000000 T _text"];
  for (let i = 0; i < count; i++) lines.push(`${address(i)} t sym_${i}`);
  return `${lines.join("\n")}\n`;
}

test("kallsyms is accepted only with many symbols, real addresses and _text where the image is linked", () => {
  const good = kallsymsText(20_000, (i) => (0xffffffff81000000n + BigInt(i * 16)).toString(16));
  assert.deepEqual(checkKallsyms(good, 0xffffffff81000000n), {
    symbols: 20_001,
    textAddress: "ffffffff81000000",
  });
  assert.throws(() => checkKallsyms(kallsymsText(100, () => "ffffffff81000000")), /only 101 symbols/);
  const zeros = `${kallsymsText(20_000, () => "0000000000000000").replace("ffffffff81000000 T _text", "0000000000000000 T _text")}`;
  assert.throws(() => checkKallsyms(zeros), /not read as root/);
  assert.throws(() => checkKallsyms(good, 0xffffffff9a000000n), /not booted with nokaslr/);
});

test("the load address comes from the executable PT_LOAD, not the per-cpu segment at 0", () => {
  const header = new Uint8Array(64 + 2 * 56);
  const view = new DataView(header.buffer);
  header.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  view.setBigUint64(0x20, 64n, true);
  view.setUint16(0x36, 56, true);
  view.setUint16(0x38, 2, true);
  // phdr 0: PT_LOAD RW at vaddr 0 (percpu); phdr 1: PT_LOAD R E at ffffffff81000000
  view.setUint32(64, 1, true);
  view.setUint32(64 + 4, 6, true);
  view.setBigUint64(64 + 0x10, 0n, true);
  view.setUint32(120, 1, true);
  view.setUint32(120 + 4, 5, true);
  view.setBigUint64(120 + 0x10, 0xffffffff81000000n, true);
  assert.equal(elfLowestLoadAddress(header), 0xffffffff81000000n);
  assert.equal(elfLowestLoadAddress(new Uint8Array(64)), undefined);
});

test("vermagic is read from a module's .modinfo strings", () => {
  const bytes = new TextEncoder().encode(
    "\x7fELF...\0license=GPL\0vermagic=6.1.0-50-amd64 SMP preempt mod_unload modversions \0name=x\0",
  );
  assert.equal(vermagicOf(bytes), "6.1.0-50-amd64 SMP preempt mod_unload modversions ");
  assert.equal(vermagicOf(new TextEncoder().encode("no modinfo")), undefined);
});

test("the target's compiler is read from Debian's .kernelvariables", () => {
  const dir = scratchDir("hotpatch-kvars");
  try {
    writeFileSync(
      join(dir, ".kernelvariables"),
      "override ARCH = x86\noverride KERNELRELEASE = 6.1.0-50-amd64\nCCACHE = ccache\nCC = $(if $(DEBIAN_KERNEL_USE_CCACHE),$(CCACHE)) $(CROSS_COMPILE)gcc-12\n",
    );
    assert.equal(targetCompiler(dir), "gcc-12");
    assert.equal(targetCompiler(join(dir, "none")), "gcc");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
