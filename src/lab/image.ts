// SPDX-License-Identifier: GPL-2.0-only
// The lab's disk image of a target: the Debian 12 root filesystem (src/lab/debian-root.ts) as a
// raw ext4 file, made once per target and recipe and cached as
// $HOTPATCH_CACHE/lab/<release>/rootfs-<hash>.ext4 beside its record rootfs-<hash>.json. It is
// built in a scratch directory beside it, under a lock, and renamed into place; the record is
// written last, so an image without one is never used. Guests never write it: each boots a
// copy-on-write overlay of it (src/lab/guest.ts).
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors/user-error.ts";
import { downloadPackages } from "../kernel/debian-download.ts";
import type { TargetManifest } from "../kernel/prepare.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { cacheRoot } from "../util/cache.ts";
import { withLock } from "../util/lock.ts";
import { formatSeconds, note, step } from "../util/progress.ts";
import { run } from "../util/run.ts";
import { makeOwnedDir } from "../vm/run-dir.ts";
import { aptSources, buildDebianRoot, GUEST_PACKAGES, mmdebstrapArgs } from "./debian-root.ts";

/** Bump when the image's recipe changes in a way its hashed inputs do not show. */
const RECIPE_VERSION = "2";
/** The guest's filesystem size (a sparse file: only what is written takes space). */
const IMAGE_SIZE = "4G";

export interface LabImage {
  /** The raw ext4 image every guest's overlay is backed by. */
  path: string;
  release: string;
  /** The linux-image package installed in it. */
  kernelPackage: { name: string; version: string };
  /** Bytes the image file takes on disk. */
  bytes: number;
  /** How long building it took (0 when it came from the cache). */
  buildMs: number;
  builtAt: string;
}

function labDir(release: string): string {
  return join(cacheRoot(), "lab", release);
}

/** The target's linux-image package record, from its manifest. */
function imagePackage(manifest: TargetManifest): TargetManifest["packages"][number] {
  const found = manifest.packages.find((p) => p.name === `linux-image-${manifest.release}`);
  if (!found)
    throw new UserError(`Target ${manifest.target} records no linux-image package; prepare it again.`);
  return found;
}

function recipeHash(manifest: TargetManifest): string {
  const pkg = imagePackage(manifest);
  const hash = createHash("sha256");
  hash.update(`recipe ${RECIPE_VERSION}\0size ${IMAGE_SIZE}\0${pkg.file}\0${pkg.size}\0`);
  hash.update(mmdebstrapArgs("ROOT", pkg.file).join("\0"));
  return hash.digest("hex").slice(0, 16);
}

function readRecord(path: string): LabImage | undefined {
  try {
    const record = JSON.parse(readFileSync(path, "utf8")) as LabImage;
    return existsSync(record.path) ? record : undefined;
  } catch {
    return undefined;
  }
}

/** The cached image of the target, building it first (about a minute or two) if needed. */
export async function ensureLabImage(manifest: TargetManifest): Promise<LabImage> {
  const dir = labDir(manifest.release);
  const name = `rootfs-${recipeHash(manifest)}`;
  const recordPath = join(dir, `${name}.json`);
  const cached = readRecord(recordPath);
  if (cached) return { ...cached, buildMs: 0 };
  return withLock(
    join(dir, "build.lock"),
    async () => readRecord(recordPath) ?? (await buildImage(manifest, dir, name)),
    { what: `the lab image of ${manifest.release}` },
  );
}

async function buildImage(manifest: TargetManifest, dir: string, name: string): Promise<LabImage> {
  if (process.getuid?.() !== 0) {
    throw new UserError(
      "Building the lab's Debian image (mmdebstrap, then mke2fs of a root-owned tree) needs root: run 'hotpatch lab' as root once; later labs reuse the image.",
    );
  }
  const started = Date.now();
  const pkg = imagePackage(manifest);
  const scratch = makeOwnedDir(dir, ".build-");
  const logFile = join(scratch, "build.log");
  try {
    const [deb] = (await downloadPackages([{ ...pkg, architecture: "amd64", sha256: "" }], logFile)).paths;
    const root = join(scratch, "root");
    await step(
      `build the Debian 12 root filesystem of the lab (mmdebstrap from ${aptSources()[0]?.split(" ")[1]})`,
      () => buildDebianRoot(root, deb as string, logFile),
    );
    const raw = join(scratch, "rootfs.ext4");
    await step("write it into an ext4 image (mke2fs -d)", () =>
      run("mke2fs", ["-q", "-t", "ext4", "-L", "hotpatch-lab", "-d", root, "-F", raw, IMAGE_SIZE], {
        logFile,
        what: "mke2fs of the lab image",
      }),
    );
    const path = join(dir, `${name}.ext4`);
    renameSync(raw, path);
    const image: LabImage = {
      path,
      release: manifest.release,
      kernelPackage: { name: pkg.name, version: pkg.version },
      bytes: statSync(path).blocks * 512,
      buildMs: Date.now() - started,
      builtAt: new Date().toISOString(),
    };
    writeFileAtomic(join(dir, `${name}.json`), `${JSON.stringify(image, null, 2)}\n`);
    pruneOtherImages(dir, name);
    note(
      `lab: image of ${manifest.release} ready in ${formatSeconds(image.buildMs)} (${GUEST_PACKAGES.length} packages and their dependencies)`,
    );
    return image;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Images of an older recipe: a running lab keeps its open file, new labs use the new one. */
function pruneOtherImages(dir: string, current: string): void {
  for (const file of readdirSync(dir)) {
    if (/^rootfs-[0-9a-f]{16}\.(ext4|json)$/.test(file) && !file.startsWith(`${current}.`))
      rmSync(join(dir, file), { force: true });
  }
}
