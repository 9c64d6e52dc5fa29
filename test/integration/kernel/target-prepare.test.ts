// SPDX-License-Identifier: GPL-2.0-only
// Both kernel families' targets, prepared for real (each once, shared with the other test
// files through the cache): the tree builds modules the target accepts (vermagic), kallsyms
// and the extracted image agree, a second prepare does nothing, and an unknown kernel name is
// refused. The 6.12 target's modules ship xz-compressed: they are read through a cached plain copy.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { execa } from "execa";
import { vermagicOf } from "../../../src/kernel/debian-vermagic.ts";
import { buildExternalModule } from "../../../src/kernel/kbuild.ts";
import { plainModulePath, readTargetModule } from "../../../src/kernel/target-modules.ts";
import { moduleFileOf } from "../../../src/kernel/units.ts";
import { hotpatch } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { ensureTarget, TARGET_6_12 } from "../../helpers/target.ts";

/** What each family's target is made of. */
const TARGETS = [
  {
    release: "6.1.0-50-amd64",
    version: "6.1.176-1",
    packages: [
      "linux-headers-6.1.0-50-amd64",
      "linux-headers-6.1.0-50-common",
      "linux-kbuild-6.1",
      "linux-source-6.1",
    ],
    module9p: "kernel/fs/9p/9p.ko",
  },
  {
    release: TARGET_6_12.slice("debian:".length),
    version: "6.12.107-1~deb12u1",
    packages: [
      "linux-headers-6.12.107+deb12-amd64",
      "linux-headers-6.12.107+deb12-common",
      "linux-kbuild-6.12.107+deb12",
      "linux-source-6.12",
    ],
    module9p: "kernel/fs/9p/9p.ko.xz",
  },
];

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

for (const { release: RELEASE, version: VERSION, packages: PACKAGES, module9p: MODULE_9P } of TARGETS) {
  describe(`debian:${RELEASE}`, () => {
    test("the prepared target has its manifest, image, tree, symvers, vmlinux and kallsyms", async () => {
      const paths = await ensureTarget(`debian:${RELEASE}`);
      const manifest = JSON.parse(readFileSync(paths.manifest, "utf8"));
      assert.equal(manifest.target, `debian:${RELEASE}`);
      assert.equal(manifest.version, VERSION);
      assert.deepEqual(
        manifest.packages.map((p: { name: string }) => p.name).sort(),
        [...PACKAGES, `linux-image-${RELEASE}`].sort(),
      );
      for (const p of manifest.packages)
        assert.equal(p.version, VERSION, `${p.name} must have the image's version`);
      assert.ok(statSync(paths.vmlinuz).size > 4_000_000);
      assert.ok(existsSync(join(paths.modulesDir, "modules.builtin")));
      assert.match(
        readFileSync(join(paths.tree, "include/generated/utsrelease.h"), "utf8"),
        new RegExp(`"${RELEASE.replaceAll(".", "\\.").replaceAll("+", "\\+")}"`),
      );
      assert.deepEqual(readFileSync(join(paths.tree, "Module.symvers")), readFileSync(paths.symvers));
      assert.match(readFileSync(paths.symvers, "utf8"), /^0x[0-9a-f]{8}\t_printk\tvmlinux\tEXPORT_SYMBOL\t/m);
      assert.ok(!existsSync(join(paths.root, "source-deb")), "the source tarball is deleted after unpacking");
    });

    test("a module built against the tree carries exactly the target's vermagic", async () => {
      const paths = await ensureTarget(`debian:${RELEASE}`);
      const dir = scratchDir("hotpatch-vermagic");
      try {
        writeFileSync(
          join(dir, "hello.c"),
          '#include <linux/module.h>\nstatic int __init hello_init(void) { return 0; }\nmodule_init(hello_init);\nMODULE_LICENSE("GPL");\n',
        );
        writeFileSync(join(dir, "Kbuild"), "obj-m := hello.o\n");
        const [ko] = await buildExternalModule({ tree: paths.tree, moduleDir: dir });
        assert.ok(ko, "a .ko was built");
        const targetKo = join(paths.modulesDir, MODULE_9P);
        const expected = await modinfoVermagic(targetKo);
        assert.equal(expected, `${RELEASE} SMP preempt mod_unload modversions`);
        assert.equal(await modinfoVermagic(ko), expected);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test("kallsyms has real link-time addresses that match the extracted vmlinux's code", async () => {
      const paths = await ensureTarget(`debian:${RELEASE}`);
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
      // The image's cmdline_proc_show starts with `call __fentry__` (e8 rel32), after an ENDBR64
      // on IBT kernels (6.12): its destination, computed from the image bytes, is kallsyms'
      // __fentry__. Image and kallsyms agree.
      const entry = fileOffsetOf(image, cmdline);
      const endbr = image.readUInt32BE(entry) === 0xf30f1efa;
      assert.equal(endbr, RELEASE.startsWith("6.12."), "ENDBR64 exactly on the IBT kernel");
      const at = entry + (endbr ? 4 : 0);
      assert.equal(image[at], 0xe8);
      const call = cmdline + BigInt(at - entry);
      const destination = call + 5n + BigInt(image.readInt32LE(at + 1));
      assert.equal(destination, fentry);
    });

    test("a second prepare reuses the target: no download, no new log, manifest unchanged", async () => {
      const paths = await ensureTarget(`debian:${RELEASE}`);
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
      const paths = await ensureTarget(`debian:${RELEASE}`);
      const result = await hotpatch(["target", "list", "--json"]);
      assert.equal(result.exitCode, 0, result.stderr);
      const { targets } = JSON.parse(result.stdout);
      const entry = targets.find((t: { target: string }) => t.target === `debian:${RELEASE}`);
      assert.ok(entry, "the target is listed");
      assert.equal(entry.version, VERSION);
      assert.equal(entry.root, paths.root);
      assert.ok(entry.size > 1_000_000_000, `size ${entry.size}`);
    });
  });
}

test("6.12's xz-compressed modules are read through one cached plain copy", async () => {
  const paths = await ensureTarget(TARGET_6_12);
  const shipped = moduleFileOf(paths.modulesDir, "9p");
  assert.equal(shipped, "kernel/fs/9p/9p.ko.xz");
  const bytes = readTargetModule(paths, shipped as string);
  assert.equal(Buffer.from(bytes).readUInt32BE(0), 0x7f454c46, "plain ELF");
  assert.match(vermagicOf(bytes) ?? "", /^6\.12\.107\+deb12-amd64 SMP preempt mod_unload modversions/);
  const plain = plainModulePath(paths, shipped as string);
  assert.ok(plain.endsWith("/modules-plain/kernel/fs/9p/9p.ko"));
  assert.deepEqual(readFileSync(plain), Buffer.from(bytes));
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
