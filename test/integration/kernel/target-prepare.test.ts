// SPDX-License-Identifier: GPL-2.0-only
// The reference target, prepared for real: the tree builds modules the target accepts
// (vermagic), kallsyms and the extracted image agree, a second prepare does nothing, and an
// unknown kernel name is refused.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { execa } from "execa";
import { buildExternalModule } from "../../../src/kernel/kbuild.ts";
import { hotpatch } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { ensureTarget } from "../../helpers/target.ts";

const RELEASE = "6.1.0-50-amd64";

async function modinfoVermagic(ko: string): Promise<string> {
  return (await execa("modinfo", ["-F", "vermagic", ko])).stdout.trim();
}

function kallsymsMap(text: string): Map<string, bigint> {
  const map = new Map<string, bigint>();
  for (const line of text.split("\n")) {
    const [address, , name, module] = line.split(/\s+/);
    if (address && name && !module && !map.has(name)) map.set(name, BigInt(`0x${address}`));
  }
  return map;
}

/** File offset of virtual address `vaddr` in an ELF64 executable, from its PT_LOAD headers. */
function fileOffsetOf(image: Buffer, vaddr: bigint): number {
  const phoff = Number(image.readBigUInt64LE(0x20));
  const phnum = image.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * 56;
    if (image.readUInt32LE(at) !== 1) continue;
    const offset = image.readBigUInt64LE(at + 8);
    const start = image.readBigUInt64LE(at + 0x10);
    const size = image.readBigUInt64LE(at + 0x20);
    if (vaddr >= start && vaddr < start + size) return Number(offset + (vaddr - start));
  }
  throw new Error(`address ${vaddr.toString(16)} is in no PT_LOAD segment`);
}

test("the prepared target has its manifest, image, tree, symvers, vmlinux and kallsyms", async () => {
  const paths = await ensureTarget();
  const manifest = JSON.parse(readFileSync(paths.manifest, "utf8"));
  assert.equal(manifest.target, `debian:${RELEASE}`);
  assert.equal(manifest.version, "6.1.176-1");
  assert.deepEqual(manifest.packages.map((p: { name: string }) => p.name).sort(), [
    "linux-headers-6.1.0-50-amd64",
    "linux-headers-6.1.0-50-common",
    `linux-image-${RELEASE}`,
    "linux-kbuild-6.1",
    "linux-source-6.1",
  ]);
  for (const p of manifest.packages)
    assert.equal(p.version, "6.1.176-1", `${p.name} must have the image's version`);
  assert.ok(statSync(paths.vmlinuz).size > 4_000_000);
  assert.ok(existsSync(join(paths.modulesDir, "modules.builtin")));
  assert.match(
    readFileSync(join(paths.tree, "include/generated/utsrelease.h"), "utf8"),
    /"6\.1\.0-50-amd64"/,
  );
  assert.deepEqual(readFileSync(join(paths.tree, "Module.symvers")), readFileSync(paths.symvers));
  assert.match(readFileSync(paths.symvers, "utf8"), /^0x[0-9a-f]{8}\t_printk\tvmlinux\tEXPORT_SYMBOL\t/m);
  assert.ok(!existsSync(join(paths.root, "source-deb")), "the source tarball is deleted after unpacking");
});

test("a module built against the tree carries exactly the target's vermagic", async () => {
  const paths = await ensureTarget();
  const dir = scratchDir("hotpatch-vermagic");
  try {
    writeFileSync(
      join(dir, "hello.c"),
      '#include <linux/module.h>\nstatic int __init hello_init(void) { return 0; }\nmodule_init(hello_init);\nMODULE_LICENSE("GPL");\n',
    );
    writeFileSync(join(dir, "Kbuild"), "obj-m := hello.o\n");
    const [ko] = await buildExternalModule({ tree: paths.tree, moduleDir: dir });
    assert.ok(ko, "a .ko was built");
    const targetKo = join(paths.modulesDir, "kernel/fs/9p/9p.ko");
    const expected = await modinfoVermagic(targetKo);
    assert.equal(expected, `${RELEASE} SMP preempt mod_unload modversions`);
    assert.equal(await modinfoVermagic(ko), expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("kallsyms has real link-time addresses that match the extracted vmlinux's code", async () => {
  const paths = await ensureTarget();
  const text = readFileSync(paths.kallsyms, "utf8");
  const symbols = kallsymsMap(text);
  assert.ok(text.split("\n").length > 50_000, "kallsyms lists the local symbols too (KALLSYMS_ALL)");
  assert.equal(symbols.get("_text"), 0xffffffff81000000n, "booted with nokaslr");
  const cmdline = symbols.get("cmdline_proc_show");
  const fentry = symbols.get("__fentry__");
  assert.ok(cmdline && fentry);

  const image = readFileSync(paths.vmlinux);
  assert.equal(image.readUInt32BE(0), 0x7f454c46, "vmlinux is an ELF file");
  assert.ok(
    image.length > 20_000_000 && image.length < 500_000_000,
    `plausible kernel size: ${image.length}`,
  );
  // The image's cmdline_proc_show starts with `call __fentry__` (e8 rel32): its destination,
  // computed from the image bytes, is kallsyms' __fentry__. Image and kallsyms agree.
  const at = fileOffsetOf(image, cmdline);
  assert.equal(image[at], 0xe8);
  const destination = cmdline + 5n + BigInt(image.readInt32LE(at + 1));
  assert.equal(destination, fentry);
});

test("a second prepare reuses the target: no download, no new log, manifest unchanged", async () => {
  const paths = await ensureTarget();
  const manifestBefore = readFileSync(paths.manifest, "utf8");
  const mtimeBefore = statSync(paths.manifest).mtimeMs;
  const logsBefore = readdirSync(paths.logDir).map((f) => `${f}:${statSync(join(paths.logDir, f)).size}`);
  const result = await hotpatch(["target", "prepare", `debian:${RELEASE}`, "--json"]);
  assert.equal(result.exitCode, 0, result.stderr);
  const summary = JSON.parse(result.stdout);
  assert.equal(summary.reused, true);
  assert.equal(summary.root, paths.root);
  assert.equal(readFileSync(paths.manifest, "utf8"), manifestBefore);
  assert.equal(statSync(paths.manifest).mtimeMs, mtimeBefore);
  assert.deepEqual(
    readdirSync(paths.logDir).map((f) => `${f}:${statSync(join(paths.logDir, f)).size}`),
    logsBefore,
  );
  assert.doesNotMatch(result.stderr, /apt-get download|make/);
});

test("target list shows the prepared target with its version and size", async () => {
  const paths = await ensureTarget();
  const result = await hotpatch(["target", "list", "--json"]);
  assert.equal(result.exitCode, 0, result.stderr);
  const { targets } = JSON.parse(result.stdout);
  const entry = targets.find((t: { target: string }) => t.target === `debian:${RELEASE}`);
  assert.ok(entry, "the reference target is listed");
  assert.equal(entry.version, "6.1.176-1");
  assert.equal(entry.root, paths.root);
  assert.ok(entry.size > 1_000_000_000, `size ${entry.size}`);
});

test("an unknown kernel name is refused in one sentence, leaving nothing in the cache", async () => {
  const cache = scratchDir("hotpatch-cache");
  try {
    const result = await hotpatch(["target", "prepare", "debian:6.1.0-999-amd64"], {
      env: { HOTPATCH_CACHE: cache },
    });
    assert.equal(result.exitCode, 1);
    assert.match(
      result.stderr,
      /hotpatch: Debian has no kernel named 6\.1\.0-999-amd64: apt knows no package linux-image-6\.1\.0-999-amd64/,
    );
    assert.ok(!existsSync(join(cache, "targets", "debian", "6.1.0-999-amd64")));
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
