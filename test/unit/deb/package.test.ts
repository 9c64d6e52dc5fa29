// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch package` through the built CLI on small livepatch-shaped modules compiled on the
// spot: the package's metadata (name, exact kernel dependency, runtime dependency), its files,
// maintainer scripts that sh accepts, lintian without errors or warnings, reproducible bytes,
// and the refusals. Installing, loading and removing it are tested in the lab (integration).
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { execa } from "execa";
import { assertUserError, hotpatch } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { fakeKo, RELEASE, VERMAGIC } from "../runtime/fake-ko.ts";

const MAINTAINER = "Jane Doe <jane@example.org>";
const livepatch = fakeKo("hp_unit_fix", {
  modinfo: ["name=hp_unit_fix", VERMAGIC, "livepatch=Y"],
  replace: true,
});

/** A cache holding a prepared-looking target whose manifest says which linux-image version it is. */
function cacheWithTarget(version: string): string {
  const cache = scratchDir("hp-deb-cache");
  // The layout of src/kernel/target-layout.ts.
  const dir = join(cache, "targets", "debian", RELEASE);
  mkdirSync(dir, { recursive: true });
  const manifest = {
    schema: 1,
    target: `debian:${RELEASE}`,
    release: RELEASE,
    version,
    series: "6.1",
    vermagic: VERMAGIC.replace("vermagic=", ""),
    compiler: "gcc-12",
    packages: [],
    downloaded: [],
    kallsymsSymbols: 0,
    sizes: { total: 0, tree: 0, image: 0, vmlinux: 0, kallsyms: 0 },
    steps: [],
    durationMs: 0,
    preparedAt: new Date(0).toISOString(),
  };
  writeFileSync(join(dir, "target.json"), JSON.stringify(manifest));
  return cache;
}

async function field(deb: string, name: string): Promise<string> {
  return (await execa("dpkg-deb", ["-f", deb, name])).stdout;
}

async function packageIt(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ path: string; out: string }> {
  const out = scratchDir("hp-deb-out");
  const r = await hotpatch(["package", livepatch, "-o", out, "--maintainer", MAINTAINER, "--json", ...args], {
    env: { SOURCE_DATE_EPOCH: "1750000000", ...env },
  });
  assert.equal(r.exitCode, 0, r.stderr);
  return { path: (JSON.parse(r.stdout) as { path: string }).path, out };
}

test("the package is named after the patch and its kernel, and depends on exactly that linux-image", async () => {
  const { path } = await packageIt(["--kernel-version", "6.1.176-1"]);
  assert.ok(path.endsWith(`/hp-unit-fix-${RELEASE}_1_amd64.deb`), path);
  assert.equal(await field(path, "Package"), `hp-unit-fix-${RELEASE}`);
  assert.equal(await field(path, "Version"), "1");
  assert.equal(await field(path, "Architecture"), "amd64");
  assert.equal(await field(path, "Maintainer"), MAINTAINER);
  assert.equal(await field(path, "Depends"), `linux-image-${RELEASE} (= 6.1.176-1), hotpatch (>= 0.1.0)`);
  assert.equal(await field(path, "Hotpatch-Module"), "hp_unit_fix");
  assert.equal(await field(path, "Hotpatch-Kernel-Release"), RELEASE);
  assert.match(await field(path, "Description"), /livepatch hp_unit_fix for Linux 6\.1\.0-50-amd64/);
});

test("it ships the module unchanged where its maintainer scripts install it from", async () => {
  const { path, out } = await packageIt(["--kernel-version", "6.1.176-1", "--version", "3~rc1"]);
  const tree = join(out, "tree");
  await execa("dpkg-deb", ["-x", path, tree]);
  await execa("dpkg-deb", ["-e", path, join(tree, "DEBIAN")]);
  const shipped = join(tree, "usr/lib/hotpatch/modules", RELEASE, "hp_unit_fix.ko");
  assert.deepEqual(readFileSync(shipped), readFileSync(livepatch));
  for (const script of ["postinst", "prerm", "postrm"]) {
    const text = readFileSync(join(tree, "DEBIAN", script), "utf8");
    assert.match(text, /^#!\/bin\/sh\n/);
    assert.match(text, new RegExp(`KO='/usr/lib/hotpatch/modules/${RELEASE}/hp_unit_fix.ko'`));
    assert.match(text, /VERSION='3~rc1'/);
    await execa("sh", ["-n", join(tree, "DEBIAN", script)]);
  }
  const postinst = readFileSync(join(tree, "DEBIAN", "postinst"), "utf8");
  assert.match(postinst, /hotpatch install "\$KO"/);
  assert.match(postinst, /hotpatch load "\$KO"/);
  assert.match(readFileSync(join(tree, "DEBIAN", "prerm"), "utf8"), /hotpatch unload "\$MODULE"/);
  assert.match(
    readFileSync(join(tree, "DEBIAN", "postrm"), "utf8"),
    /hotpatch uninstall "\$MODULE" --release "\$RELEASE"/,
  );
});

test("lintian finds no error and no warning", async () => {
  const { path } = await packageIt(["--kernel-version", "6.1.176-1"]);
  const r = await execa("lintian", ["--tag-display-limit", "0", path], { reject: false });
  const problems = r.stdout.split("\n").filter((line) => /^[EW]: /.test(line));
  assert.deepEqual(problems, [], r.stdout);
});

test("the same module, version and SOURCE_DATE_EPOCH give the same package, byte for byte", async () => {
  const a = await packageIt(["--kernel-version", "6.1.176-1"]);
  const b = await packageIt(["--kernel-version", "6.1.176-1"]);
  assert.deepEqual(readFileSync(a.path), readFileSync(b.path));
});

test("without --kernel-version the prepared target's linux-image version is used", async () => {
  const { path } = await packageIt([], { HOTPATCH_CACHE: cacheWithTarget("6.1.176-1") });
  assert.equal(await field(path, "Depends"), `linux-image-${RELEASE} (= 6.1.176-1), hotpatch (>= 0.1.0)`);
});

test("refusals: not a livepatch, unknown kernel version, bad version or name", async () => {
  const out = scratchDir("hp-deb-refused");
  const plain = fakeKo("plain", { modinfo: ["name=plain", VERMAGIC] });
  const base = ["-o", out, "--maintainer", MAINTAINER];
  assertUserError(
    await hotpatch(["package", plain, "--kernel-version", "6.1.176-1", ...base]),
    `${plain} is not a livepatch module (its modinfo has no livepatch=Y): it was not packaged.`,
  );
  assertUserError(
    await hotpatch(["package", livepatch, ...base], {
      env: { HOTPATCH_CACHE: scratchDir("hp-empty-cache") },
    }),
    `The Debian version of linux-image-${RELEASE} is not known here: prepare the target ('hotpatch target prepare debian:${RELEASE}') or give --kernel-version.`,
  );
  assertUserError(
    await hotpatch(["package", livepatch, "--kernel-version", "6.1.176-1", "--version", "v2", ...base]),
    /^'v2' is not a Debian version/,
  );
  assertUserError(
    await hotpatch(["package", livepatch, "--kernel-version", "6.1.176-1", "--name", "Hp_Fix", ...base]),
    /^'Hp_Fix' is not a Debian package name/,
  );
  assertUserError(
    await hotpatch([
      "package",
      livepatch,
      "--kernel-version",
      "6.1.176-1",
      "-o",
      out,
      "--maintainer",
      "jane",
    ]),
    "'jane' is not a maintainer: write it as 'Full Name <address@example.org>'.",
  );
  assert.deepEqual(readdirSync(out), [], "nothing was written");
});
