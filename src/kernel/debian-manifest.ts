// SPDX-License-Identifier: GPL-2.0-only
// target.json, the manifest of a prepared target. It is written last: its presence is what
// "prepared" means, and it records what the target was made from (package versions and files),
// what it is (vermagic, compiler) and what preparing it cost (sizes, step timings).
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { writeFileAtomic } from "../util/atomic.ts";

const StepTiming = z.object({ name: z.string(), ms: z.number() });
const PackageRecord = z.object({ name: z.string(), version: z.string(), file: z.string(), size: z.number() });

export const TargetManifestSchema = z.object({
  schema: z.literal(1),
  /** e.g. "debian:6.1.0-50-amd64". */
  target: z.string(),
  release: z.string(),
  /** Debian version of every package, e.g. "6.1.176-1". */
  version: z.string(),
  series: z.string(),
  /** What the target's own modules carry, e.g. "6.1.0-50-amd64 SMP preempt mod_unload modversions ". */
  vermagic: z.string(),
  /** CONFIG_CC_VERSION_TEXT of the target's build. */
  compiler: z.string(),
  packages: z.array(PackageRecord),
  /** Packages this prepare downloaded; the others were reused from the download cache. */
  downloaded: z.array(z.string()),
  kallsymsSymbols: z.number(),
  /** Bytes on disk when the prepare finished. */
  sizes: z.object({
    total: z.number(),
    tree: z.number(),
    image: z.number(),
    vmlinux: z.number(),
    kallsyms: z.number(),
  }),
  steps: z.array(StepTiming),
  durationMs: z.number(),
  preparedAt: z.string(),
});
export type TargetManifest = z.infer<typeof TargetManifestSchema>;
export type StepTiming = z.infer<typeof StepTiming>;

export function writeManifest(path: string, manifest: TargetManifest): void {
  writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`);
}

/** The manifest at `path`, or undefined when the target is not (completely) prepared. */
export function readManifest(path: string): TargetManifest | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const parsed = TargetManifestSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // unreadable: treated as not prepared, and redone
  }
}
