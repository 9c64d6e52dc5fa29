// SPDX-License-Identifier: GPL-2.0-only
// The target's vermagic, read from one of its own modules, and the proof that the prepared
// tree reproduces it: a one-line module is built against the tree and its vermagic compared.
// A mismatch here would otherwise only show up as "disagrees about version of symbol" or
// "invalid module format" when a livepatch is loaded on a real machine.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors/user-error.ts";
import { readDecompressed } from "../util/decompress.ts";
import { buildExternalModule } from "./kbuild.ts";
import { shippedModuleFile } from "./target-modules.ts";

/** The `vermagic=` string of a module's .modinfo (read from the bytes: no modinfo needed). */
export function vermagicOf(moduleBytes: Uint8Array): string | undefined {
  const text = Buffer.from(moduleBytes.buffer, moduleBytes.byteOffset, moduleBytes.byteLength).toString(
    "latin1",
  );
  const at = text.indexOf("\0vermagic=");
  if (at < 0) return undefined;
  const start = at + "\0vermagic=".length;
  return text.slice(start, text.indexOf("\0", start));
}

/** Vermagic of the first module in the target's modules.order (decompressed if shipped so). */
export function imageVermagic(modulesDir: string): string {
  const order = readFileSync(join(modulesDir, "modules.order"), "utf8")
    .split("\n")
    .filter((l) => l.endsWith(".ko"));
  for (const rel of order.slice(0, 20)) {
    const shipped = shippedModuleFile(modulesDir, rel);
    if (!shipped) continue; // listed but not shipped: try the next one
    const found = vermagicOf(readDecompressed(join(modulesDir, shipped)));
    if (found) return found;
  }
  throw new UserError(`No module of the target in ${modulesDir} carries a vermagic.`);
}

const TEST_MODULE = `// hotpatch: checks that modules built against this tree carry the target's vermagic
#include <linux/module.h>
static int __init vermagic_check_init(void) { return 0; }
module_init(vermagic_check_init);
MODULE_LICENSE("GPL");
`;

/** Builds a trivial module against `tree` in `dir` and requires its vermagic to be `expected`. */
export async function checkTreeVermagic(
  tree: string,
  expected: string,
  dir: string,
  logFile: string,
): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(join(dir, "vermagic_check.c"), TEST_MODULE);
    writeFileSync(join(dir, "Kbuild"), "obj-m := vermagic_check.o\n");
    const [ko] = await buildExternalModule({ tree, moduleDir: dir, logFile });
    const got = ko ? vermagicOf(readFileSync(ko)) : undefined;
    if (got !== expected) {
      throw new UserError(
        `Modules built against the prepared tree get vermagic '${got}', not the target's '${expected}'.`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
