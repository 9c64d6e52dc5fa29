// SPDX-License-Identifier: GPL-2.0-only
// A -cloud-amd64 target (no 9p in its kernel): prepared like the others (its kallsyms read
// through the minimal guest's output channel, checked against its image), a busybox command
// runs in its VM, a livepatch builds for it, and verifying one (which needs the host's files
// in the guest) is refused in one sentence. Prepared once in the cache (about 2-3 minutes cold).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import type { TargetPaths } from "../../../src/kernel/target-layout.ts";
import { hotpatch } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { ensureTarget } from "../../helpers/target.ts";

const CLOUD = "debian:6.12.107+deb12-cloud-amd64";
let paths: TargetPaths;

before(async () => {
  paths = await ensureTarget(CLOUD);
});

test("the cloud target is prepared: its nokaslr kallsyms and manifest", () => {
  const manifest = JSON.parse(readFileSync(paths.manifest, "utf8"));
  assert.equal(manifest.target, CLOUD);
  assert.ok(manifest.kallsymsSymbols > 50_000, `kallsyms has ${manifest.kallsymsSymbols} symbols`);
  assert.match(readFileSync(paths.kallsyms, "utf8"), /^ffffffff81000000 T _text$/m);
});

test("its VM is the minimal guest: a busybox command runs, host files cannot be loaded", async () => {
  const r = await hotpatch(["vm", "--target", CLOUD, "--", "cat", "/proc/version"]);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /6\.12\.107\+deb12-cloud-amd64/);
  const out = join(scratchDir("hp-cloud"), "cmdline.ko");
  const fix = new URL("../build/fixes/cmdline-sample.patch", import.meta.url).pathname;
  const built = await hotpatch(["build", "--target", CLOUD, fix, "-o", out]);
  assert.equal(built.exitCode, 0, built.stderr);
  const verified = await hotpatch(["verify", "--target", CLOUD, out]);
  assert.equal(verified.exitCode, 1);
  assert.match(verified.stderr, /has no 9p support .* cannot load or write host files\./);
});
