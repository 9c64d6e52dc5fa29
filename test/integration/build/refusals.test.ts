// SPDX-License-Identifier: GPL-2.0-only
// Fixes hotpatch must refuse, on the real target: a struct layout change, the corpus fix that
// changes a static table (unsafe-data), __init code and assembly (unsupported). Each exits 2
// and names the symbol or file with its reason.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, test } from "node:test";
import { hotpatch } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { ensureTarget } from "../../helpers/target.ts";
import { buildRefused, corpusDir, fixesDir, TARGET } from "./helpers.ts";

const scratch = scratchDir("hotpatch-refuse-it");
before(async () => {
  await ensureTarget();
});

test("a struct that gains a field (dentry_stat) is refused as unsafe data with its size change", async () => {
  const stderr = await buildRefused(join(fixesDir, "dentry-stat-layout.patch"), join(scratch, "x.ko"));
  assert.match(stderr, /dentry_stat: unsafe-data: .*size 48 -> 56/);
  assert.match(stderr, /shadow variables/);
});

test("with --json a refusal is a document on stdout and still the sentence and reasons on stderr", async () => {
  const r = await hotpatch([
    "build",
    "--target",
    TARGET,
    join(fixesDir, "dentry-stat-layout.patch"),
    "--json",
  ]);
  assert.equal(r.exitCode, 2);
  const doc = JSON.parse(r.stdout) as { refused: Array<{ name: string; kind: string }> };
  assert.ok(doc.refused.some((x) => x.name === "dentry_stat" && x.kind === "unsafe-data"));
  assert.match(r.stderr, /hotpatch: The fix cannot be live-patched safely \(\d+ refusals?\)\./);
  assert.match(r.stderr, /dentry_stat: unsafe-data: /);
});

test("corpus 24 (ctl_table initialiser change) is refused with a data reason", async () => {
  const stderr = await buildRefused(
    join(corpusDir, "24-tcp-reordering-sysctl-bounds.patch"),
    join(scratch, "x.ko"),
  );
  assert.match(stderr, /ipv4_net_table: unsafe-data/);
});

test("corpus 27 (__init code) is refused as unsupported init code", async () => {
  const stderr = await buildRefused(
    join(corpusDir, "27-bdev-no-userspace-mount.patch"),
    join(scratch, "x.ko"),
  );
  assert.match(stderr, /bdev_cache_init: init-code/);
});

test("corpus 28 (assembly entry code) is refused as unsupported", async () => {
  const stderr = await buildRefused(
    join(corpusDir, "28-x86-srso-safe-ret-intr-robust.patch"),
    join(scratch, "x.ko"),
  );
  assert.match(stderr, /entry_64\.S: .*assembly/);
});
