// SPDX-License-Identifier: GPL-2.0-only
// One scratch directory per test process, removed when the process exits (node:test runs each
// test file in its own process): helpers and tests make their directories under it, so a run
// leaves nothing behind in /tmp even where a test forgets its own clean-up or fails half-way.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = mkdtempSync(join(tmpdir(), `hotpatch-test-${process.pid}-`));
process.on("exit", () => rmSync(root, { recursive: true, force: true }));

/** A new empty directory named after `prefix`, removed with the rest at exit. */
export function scratchDir(prefix: string): string {
  return mkdtempSync(join(root, `${prefix}-`));
}
