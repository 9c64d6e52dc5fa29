// SPDX-License-Identifier: GPL-2.0-only
// A VM run's scratch directory (the share the guest reads its command from, the output
// socket), and the same for other guests' working directories (a lab's disks and keys). Each
// is named after the hotpatch process that owns it: a SIGKILLed hotpatch runs no clean-up (its
// QEMU dies of the parent-death signal), so the next run removes what it left.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isPidAlive } from "../util/processes.ts";

const PREFIX = "hotpatch-vm-";

/** A new run directory, after removing those of hotpatch processes that are gone. */
export function makeRunDir(): string {
  return makeOwnedDir(tmpdir(), PREFIX);
}

/**
 * A new directory `<parent>/<prefix><pid>-XXXXXX` owned by this process, after removing the
 * directories with the same prefix whose owner process is gone.
 */
export function makeOwnedDir(parent: string, prefix: string): string {
  mkdirSync(parent, { recursive: true });
  const owned = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\d+)-`);
  for (const name of readdirSync(parent)) {
    const owner = owned.exec(name)?.[1];
    if (owner !== undefined && !isPidAlive(Number(owner))) removeQuietly(join(parent, name));
  }
  return mkdtempSync(join(parent, `${prefix}${process.pid}-`));
}

/** Tidying up is best effort: another user's leftover in a sticky /tmp is not ours to remove. */
function removeQuietly(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // EPERM/EACCES: left for its owner
  }
}
