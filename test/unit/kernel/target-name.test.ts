// SPDX-License-Identifier: GPL-2.0-only
// Target names: what `hotpatch target prepare` accepts, and the one-sentence refusals.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { UserError } from "../../../src/errors/user-error.ts";
import { loadPreparedTarget } from "../../../src/kernel/prepare.ts";
import {
  DEFAULT_TARGET,
  parseTargetName,
  targetName,
  targetPaths,
} from "../../../src/kernel/target-layout.ts";
import { hotpatch } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";

test("Debian ABI names parse into distro and release", () => {
  assert.deepEqual(parseTargetName("debian:6.1.0-50-amd64"), { distro: "debian", release: "6.1.0-50-amd64" });
  assert.deepEqual(parseTargetName("debian:6.1.0-47-cloud-amd64"), {
    distro: "debian",
    release: "6.1.0-47-cloud-amd64",
  });
  assert.equal(targetName(parseTargetName(DEFAULT_TARGET)), DEFAULT_TARGET);
});

test("malformed target names are refused with a UserError", () => {
  for (const bad of [
    "6.1.0-50-amd64",
    "debian:",
    "ubuntu:6.1.0-50-amd64",
    "debian:6.1.0-50-amd64:x",
    "debian:latest",
    "debian:6.1.0-50-amd64/../x",
    "debian:6.1.0 -50",
  ]) {
    assert.throws(
      () => parseTargetName(bad),
      (e: unknown) => e instanceof UserError && /is not a target name/.test(e.message),
      bad,
    );
  }
});

test("target paths keep everything under the target's root", () => {
  const paths = targetPaths(parseTargetName(DEFAULT_TARGET), "/cache/t");
  assert.equal(paths.vmlinuz, "/cache/t/image/boot/vmlinuz-6.1.0-50-amd64");
  assert.equal(paths.modulesDir, "/cache/t/image/lib/modules/6.1.0-50-amd64");
  assert.equal(paths.manifest, "/cache/t/target.json");
});

test("loadPreparedTarget on an empty cache says how to prepare the target", () => {
  const cache = scratchDir("hotpatch-cache");
  const saved = process.env.HOTPATCH_CACHE;
  process.env.HOTPATCH_CACHE = cache;
  try {
    assert.throws(
      () => loadPreparedTarget(parseTargetName(DEFAULT_TARGET)),
      (e: unknown) =>
        e instanceof UserError &&
        e.message ===
          "Target debian:6.1.0-50-amd64 is not prepared: run 'hotpatch target prepare debian:6.1.0-50-amd64'.",
    );
  } finally {
    if (saved === undefined) delete process.env.HOTPATCH_CACHE;
    else process.env.HOTPATCH_CACHE = saved;
    rmSync(cache, { recursive: true, force: true });
  }
});

test("the CLI refuses a malformed name in one sentence and exits non-zero", async () => {
  const result = await hotpatch(["target", "prepare", "debian:not-a-kernel"]);
  assert.equal(result.exitCode, 1);
  assert.match(result.stderr, /'debian:not-a-kernel' is not a target name: use debian:<kernel ABI name>/);
  assert.equal(result.stderr.trim().split("\n").length, 1);
});

test("a missing build tool is named with the package that installs it", async () => {
  const cache = scratchDir("hotpatch-cache");
  try {
    // An empty PATH: apt-get is the first tool checked.
    const result = await hotpatch(["target", "prepare"], {
      env: { HOTPATCH_CACHE: cache, PATH: join(cache, "no-bin") },
    });
    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /apt-get is not installed: install it with 'apt-get install apt'/);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test("target list on an empty cache says there is none, and --json gives an empty list", async () => {
  const cache = scratchDir("hotpatch-cache");
  try {
    const text = await hotpatch(["target", "list"], { env: { HOTPATCH_CACHE: cache } });
    assert.equal(text.exitCode, 0);
    assert.match(text.stdout, /no prepared targets/);
    const json = await hotpatch(["target", "list", "--json"], { env: { HOTPATCH_CACHE: cache } });
    assert.deepEqual(JSON.parse(json.stdout), { targets: [] });
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
