// SPDX-License-Identifier: GPL-2.0-only
// Real outages, not simulated ones: a prepare on a machine without network (a network
// namespace with only loopback) and on a filesystem too small for a target (a 64 MB tmpfs in a
// mount namespace) ends with one sentence that says what is wrong and what to do, exit 1, and
// no prepared target.
import assert from "node:assert/strict";
import { test } from "node:test";
import { hotpatch } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";

const notRoot = process.getuid?.() !== 0 ? "needs root for network and mount namespaces (unshare)" : false;
const TARGET = "debian:6.1.0-50-amd64";

/** The sentence on stderr (the line starting with `hotpatch:`); detail lines may follow it. */
function sentenceOf(stderr: string): string {
  return stderr.split("\n").find((line) => line.startsWith("hotpatch: ")) ?? "";
}

async function assertNothingPrepared(cache: string): Promise<void> {
  const list = await hotpatch(["target", "list", "--json"], { env: { HOTPATCH_CACHE: cache } });
  assert.deepEqual(JSON.parse(list.stdout), { targets: [] });
}

test("no network: the download fails with a sentence about the network", { skip: notRoot }, async () => {
  const cache = scratchDir("hotpatch-offline");
  const result = await hotpatch(["target", "prepare", TARGET], {
    env: { HOTPATCH_CACHE: cache },
    wrapper: ["unshare", "--net"],
  });
  assert.equal(result.exitCode, 1, result.stderr);
  assert.equal(
    sentenceOf(result.stderr),
    "hotpatch: apt-get download could not reach the Debian archive: check the network connection and apt's sources.",
  );
  assert.match(result.stderr, /failed download .* \(apt-get download\)/, "the failed step is named");
  await assertNothingPrepared(cache);
});

test("a filesystem too small for a target is refused before anything is downloaded", {
  skip: notRoot,
}, async () => {
  const mountPoint = scratchDir("hotpatch-small-fs");
  const cache = `${mountPoint}/cache`;
  const result = await hotpatch(["target", "prepare", TARGET], {
    env: { HOTPATCH_CACHE: cache },
    // A private mount namespace: the tmpfs exists only for this hotpatch process.
    wrapper: [
      "unshare",
      "--mount",
      "sh",
      "-c",
      'mount -t tmpfs -o size=64m none "$0" && exec "$@"',
      mountPoint,
    ],
  });
  assert.equal(result.exitCode, 1, result.stderr);
  assert.match(
    sentenceOf(result.stderr),
    /^hotpatch: Not enough free disk space for .*: preparing a target needs about \d+\.\d GB, but only 0\.\d GB is available on that filesystem \(set HOTPATCH_CACHE to use another disk\)\.$/,
  );
  assert.doesNotMatch(result.stderr, /apt-get download/, "nothing was downloaded");
});
