// SPDX-License-Identifier: GPL-2.0-only
// `npm run deb`: hotpatch's runtime as dist/hotpatch_<version>_all.deb — its metadata (nodejs
// 18 is enough), its files (the bundle behind /usr/bin/hotpatch, the very unit of
// packaging/systemd, a man page of the runtime commands), the bundled npm packages' licenses,
// lintian without errors or warnings, and a bundle that holds only the runtime commands. That
// it runs on Debian's own nodejs 18 is proven in the lab (test/integration/lab).
import assert from "node:assert/strict";
import { readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { execa } from "execa";
import { VERSION } from "../../../src/cli/program.ts";
import { repoRoot } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";

const packageJson = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
const tree = scratchDir("hp-runtime-deb");
let deb: string;

before(async () => {
  const r = await execa("npx", ["tsx", "scripts/deb.ts", "--json"], {
    cwd: repoRoot,
    env: { SOURCE_DATE_EPOCH: "1750000000" },
  });
  deb = (JSON.parse(r.stdout) as { path: string }).path;
  await execa("dpkg-deb", ["-x", deb, tree]);
});

async function field(name: string): Promise<string> {
  return (await execa("dpkg-deb", ["-f", deb, name])).stdout;
}

test("dist/hotpatch_<version>_all.deb: version of package.json, needs only nodejs >= 18 and kmod", async () => {
  assert.equal(deb, join(repoRoot, "dist", `hotpatch_${packageJson.version}_all.deb`));
  assert.equal(VERSION, packageJson.version, "the CLI's --version is package.json's");
  assert.equal(await field("Package"), "hotpatch");
  assert.equal(await field("Version"), packageJson.version);
  assert.equal(await field("Architecture"), "all");
  assert.equal(await field("Depends"), "nodejs (>= 18), kmod");
});

test("it holds the bundle behind /usr/bin/hotpatch, the systemd unit, a man page and the docs", () => {
  assert.equal(readlinkSync(join(tree, "usr/bin/hotpatch")), "../lib/hotpatch/hotpatch.mjs");
  const bundle = readFileSync(join(tree, "usr/lib/hotpatch/hotpatch.mjs"), "utf8");
  assert.match(bundle, /^#!\/usr\/bin\/node\n/);
  assert.equal(
    readFileSync(join(tree, "lib/systemd/system/hotpatch.service"), "utf8"),
    readFileSync(join(repoRoot, "packaging/systemd/hotpatch.service"), "utf8"),
  );
  const man = gunzipSync(readFileSync(join(tree, "usr/share/man/man8/hotpatch.8.gz"))).toString("utf8");
  for (const command of ["load", "unload", "list", "status", "install", "uninstall"])
    assert.match(man, new RegExp(`^hotpatch ${command} `, "m"), `the man page has ${command}`);
  assert.match(man, /\\-\\-all/);
  for (const doc of ["operating.md", "delivery.md", "copyright", "changelog.gz"])
    assert.ok(readFileSync(join(tree, "usr/share/doc/hotpatch", doc)).length > 0, doc);
});

test("the copyright file names every npm package compiled into the bundle, with its license", () => {
  const copyright = readFileSync(join(tree, "usr/share/doc/hotpatch/copyright"), "utf8");
  for (const pkg of ["commander", "execa", "picocolors"])
    assert.match(copyright, new RegExp(`\\(npm ${pkg} \\d`), `${pkg} is listed`);
  assert.doesNotMatch(copyright, /npm zod /, "zod is not in the runtime bundle");
  assert.match(copyright, /^License: Expat\n Permission is hereby granted/m);
});

test("the bundle holds the runtime commands only, and starts", async () => {
  const bundle = join(tree, "usr/lib/hotpatch/hotpatch.mjs");
  const help = (await execa(process.execPath, [bundle, "--help"])).stdout;
  for (const command of ["load", "unload", "list", "status", "install", "uninstall"])
    assert.match(help, new RegExp(`^  ${command} `, "m"));
  for (const buildSide of ["build", "verify", "vm", "lab", "package", "target"])
    assert.doesNotMatch(help, new RegExp(`^  ${buildSide} `, "m"), `${buildSide} is not in the runtime`);
  assert.equal((await execa(process.execPath, [bundle, "--version"])).stdout, packageJson.version);
});

test("lintian finds no error and no warning", async () => {
  const r = await execa("lintian", ["--tag-display-limit", "0", deb], { reject: false });
  const problems = r.stdout.split("\n").filter((line) => /^[EW]: /.test(line));
  assert.deepEqual(problems, [], r.stdout);
});
