// SPDX-License-Identifier: GPL-2.0-only
// A VM run's scratch directory (the share the guest reads its command from, the output
// socket). Each is named after the hotpatch process that owns it: a SIGKILLed hotpatch runs no
// clean-up (its QEMU dies of the parent-death signal), so the next run removes what it left.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isPidAlive } from "../util/processes.ts";

const PREFIX = "hotpatch-vm-";
const OWNED = new RegExp(`^${PREFIX}(\\d+)-`);

/** A new run directory, after removing those of hotpatch processes that are gone. */
export function makeRunDir(): string {
  for (const name of readdirSync(tmpdir())) {
    const owner = OWNED.exec(name)?.[1];
    if (owner !== undefined && !isPidAlive(Number(owner))) removeQuietly(join(tmpdir(), name));
  }
  return mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
}

/** Tidying up is best effort: another user's leftover in a sticky /tmp is not ours to remove. */
function removeQuietly(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // EPERM/EACCES: left for its owner
  }
}
