// SPDX-License-Identifier: GPL-2.0-only
// The target's own modules (lib/modules/<release> of its image package), as the build reads
// them: run-pre matching compares a module unit with the shipped .ko, and the vermagic check
// reads one. Debian's 6.12 kernels ship them xz-compressed (`foo.ko.xz`) while modules.order
// still names `foo.ko`; a module hotpatch needs is decompressed once and the plain copy kept
// in the target's cache (`<target>/modules-plain/<path>.ko`), written beside and renamed.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic.ts";
import { COMPRESSION_SUFFIXES, isCompressed, readDecompressed } from "../util/decompress.ts";
import type { TargetPaths } from "./target-layout.ts";

/** The file that holds a module modules.order lists as `listed` (e.g. `kernel/fs/9p/9p.ko`):
 * the `.ko` itself or its compressed form; a path relative to `modulesDir`, or undefined. */
export function shippedModuleFile(modulesDir: string, listed: string): string | undefined {
  const stem = listed.replace(/\.ko(\.(xz|zst|gz))?$/, ".ko");
  for (const candidate of [stem, ...COMPRESSION_SUFFIXES.map((suffix) => stem + suffix)]) {
    if (existsSync(join(modulesDir, candidate))) return candidate;
  }
  return undefined;
}

/** Where the decompressed copy of a shipped module is cached. */
export function plainModulePath(paths: TargetPaths, shipped: string): string {
  return join(paths.root, "modules-plain", shipped.replace(/\.(xz|zst|gz)$/, ""));
}

/** The ELF bytes of a module of the target (`shipped` relative to its modules directory). */
export function readTargetModule(paths: TargetPaths, shipped: string): Uint8Array {
  const file = join(paths.modulesDir, shipped);
  if (!isCompressed(shipped)) return readFileSync(file);
  const plain = plainModulePath(paths, shipped);
  if (existsSync(plain)) return readFileSync(plain);
  const bytes = readDecompressed(file);
  writeFileAtomic(plain, bytes);
  return bytes;
}
