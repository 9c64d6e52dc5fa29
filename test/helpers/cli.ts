// SPDX-License-Identifier: GPL-2.0-only
// Runs the built CLI (bin/hotpatch.js -> dist/hotpatch.mjs) the way a user does.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const hotpatchBin = fileURLToPath(new URL("../../bin/hotpatch.js", import.meta.url));
/** The real fixes the tests build, kept in the repository (a copy of shared/corpus). */
export const corpusDir = fileURLToPath(new URL("../fixtures/corpus", import.meta.url));
/** kpatch's unit-test objects, which only exist beside our own checkouts (../shared). */
export const peerDir = fileURLToPath(new URL("../../../shared/peer/kpatch-unit-objs", import.meta.url));
/** `skip` for tests that compare with the peer objects: a plain clone does not have them. */
export const peerSkip: string | false = existsSync(peerDir) ? false : "skipped: ../shared not found";

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Run as user and group nobody (setpriv; the tests run as root), as a non-root operator would. */
  asNobody?: boolean;
  /** A command that runs hotpatch's argv (e.g. `unshare -n` for a machine without network). */
  wrapper?: string[];
}

const NOBODY = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"];

export async function hotpatch(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const argv = [
    ...(options.wrapper ?? []),
    ...(options.asNobody ? NOBODY : []),
    process.execPath,
    hotpatchBin,
    ...args,
  ];
  const result = await execa(argv[0] as string, argv.slice(1), {
    reject: false,
    env: options.env,
    timeout: options.timeoutMs,
    stdin: "ignore",
  });
  return { exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Asserts a refusal of bad input: the exit status, nothing on stdout, and stderr exactly one
 * line `hotpatch: <sentence>` (no stack trace, no progress lines: nothing started).
 */
export function assertUserError(result: CliResult, sentence: string | RegExp, exitCode = 1): void {
  assert.equal(result.exitCode, exitCode, `exit status (stderr: ${result.stderr})`);
  assert.equal(result.stdout, "", "nothing on stdout");
  const lines = result.stderr.split("\n");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  const message = lines[0]?.replace(/^hotpatch: /, "") ?? "";
  if (typeof sentence === "string") assert.equal(message, sentence);
  else assert.match(message, sentence);
}
