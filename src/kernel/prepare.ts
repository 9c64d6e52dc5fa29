// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch target prepare`: turns a Debian kernel ABI name into a prepared target (packages,
// unpacked image, configured source tree with the target's release, Module.symvers, extracted
// vmlinux, kallsyms from the booted target) in the cache, once; afterwards instant.
//
// The target is built in its final directory, under a lock, and target.json is written last.
// (Not in a scratch directory renamed into place: kbuild records absolute paths of the tools it
// builds, e.g. objtool's dependency files, so a renamed tree rebuilds them on its first in-tree
// compile. A root without target.json is a killed prepare: it is wiped and redone.)
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { MissingToolError, UserError } from "../errors/user-error.ts";
import { withLock } from "../util/lock.ts";
import { step } from "../util/progress.ts";
import { run } from "../util/run.ts";
import { runInVm } from "../vm/index.ts";
import { downloadPackages } from "./debian-download.ts";
import { readManifest, type StepTiming, type TargetManifest, writeManifest } from "./debian-manifest.ts";
import { findKernelPackages, type KernelPackageSet, kernelPackageList } from "./debian-packages.ts";
import { ensureFreeSpace, ensureTools, findInPath } from "./debian-preflight.ts";
import {
  configureTree,
  headersBuildDir,
  makeOlddefconfig,
  makePrepare,
  targetCompiler,
  treeRelease,
} from "./debian-tree.ts";
import { checkTreeVermagic, imageVermagic } from "./debian-vermagic.ts";
import { extractDeb, extractSourceTree, extractVmlinux } from "./extract.ts";
import { captureKallsyms, saveCheckedKallsyms } from "./extract-kallsyms.ts";
import { type TargetId, type TargetPaths, targetName, targetPaths, targetsRoot } from "./target-layout.ts";

export type { TargetManifest } from "./debian-manifest.ts";

export interface PreparedTarget {
  id: TargetId;
  paths: TargetPaths;
  manifest: TargetManifest;
  /** True when the target was already prepared and nothing was done. */
  reused: boolean;
}

/** The paths of `id` if it is prepared, else a UserError telling how to prepare it. */
export function loadPreparedTarget(id: TargetId): TargetPaths {
  const paths = targetPaths(id);
  if (!readManifest(paths.manifest)) {
    const name = targetName(id);
    throw new UserError(`Target ${name} is not prepared: run 'hotpatch target prepare ${name}'.`);
  }
  return paths;
}

/** Prepares `id` unless it already is; idempotent and safe to run concurrently. */
export async function prepareTarget(id: TargetId): Promise<TargetPaths> {
  return (await prepareTargetDetailed(id)).paths;
}

export async function prepareTargetDetailed(id: TargetId): Promise<PreparedTarget> {
  const paths = targetPaths(id);
  const done = readManifest(paths.manifest);
  if (done) return { id, paths, manifest: done, reused: true };
  return withLock(
    `${paths.root}.lock`,
    async () => {
      const finished = readManifest(paths.manifest); // another process may have just finished it
      if (finished) return { id, paths, manifest: finished, reused: true };
      return { id, paths, manifest: await prepareInPlace(id, paths), reused: false };
    },
    { what: `target ${targetName(id)}` },
  );
}

/** Every prepared target under the cache, with its manifest. */
export function listPreparedTargets(): Array<{ id: TargetId; paths: TargetPaths; manifest: TargetManifest }> {
  const found: Array<{ id: TargetId; paths: TargetPaths; manifest: TargetManifest }> = [];
  const debianDir = join(targetsRoot(), "debian");
  if (!existsSync(debianDir)) return found;
  for (const release of readdirSync(debianDir).sort()) {
    const id: TargetId = { distro: "debian", release };
    const paths = targetPaths(id);
    const manifest = readManifest(paths.manifest);
    if (manifest) found.push({ id, paths, manifest });
  }
  return found;
}

/** Bytes used on disk by `path` (du), 0 if it does not exist. */
export async function diskUsage(path: string): Promise<number> {
  if (!existsSync(path)) return 0;
  const out = await run("du", ["-s", "-B1", path], { what: `du ${path}` });
  return Number.parseInt(out, 10) || 0;
}

class StepClock {
  readonly timings: StepTiming[] = [];
  async run<T>(name: string, work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    const result = await step(name, work);
    this.timings.push({ name, ms: Date.now() - started });
    return result;
  }
}

async function prepareInPlace(id: TargetId, paths: TargetPaths): Promise<TargetManifest> {
  const started = Date.now();
  ensureTools();
  ensureFreeSpace(targetsRoot());
  rmSync(paths.root, { recursive: true, force: true }); // leftovers of a killed prepare
  mkdirSync(paths.logDir, { recursive: true });
  const log = (name: string) => join(paths.logDir, `${name}.log`);
  const clock = new StepClock();
  const headersDir = join(paths.root, "headers");

  const set = await clock
    .run(`find the packages of ${id.release} (apt-cache)`, () => findKernelPackages(id.release, log("apt")))
    .catch((error: unknown) => {
      rmSync(paths.root, { recursive: true, force: true }); // nothing to keep for a name apt does not know
      throw error;
    });
  const debs = await clock.run(`download ${set.version} packages (apt-get download)`, () =>
    downloadPackages(kernelPackageList(set), log("apt")),
  );
  const [imageDeb, headersDeb, sourceDeb] = debs.paths as [string, string, string];
  await clock.run("unpack linux-headers (dpkg-deb)", () => extractDeb(headersDeb, headersDir, log("unpack")));
  const compiler = targetCompiler(headersBuildDir(headersDir, id.release));
  if (!findInPath(compiler)) throw new MissingToolError(compiler, compiler);
  // Two independent chains run side by side: the VM needs only the image, the tree only the
  // headers and the source (the VM is mostly one emulating thread, make uses the rest).
  const [kallsymsText] = await bothSettled(
    imageChain(id, paths, imageDeb, clock, log),
    treeChain(id, paths, { sourceDeb, headersDir, source: `${set.source.name} ${set.version}` }, clock, log),
  );
  const vermagic = await clock.run("check a test module's vermagic", () =>
    checkVermagic(paths, log("check-module")),
  );
  await clock.run("extract vmlinux (scripts/extract-vmlinux)", () =>
    extractVmlinux(paths.tree, paths.vmlinuz, paths.vmlinux, log("unpack")),
  );
  const kallsyms = saveCheckedKallsyms(kallsymsText, paths.vmlinux, paths.kallsyms);
  copyFileSync(join(headersBuildDir(headersDir, id.release), "Module.symvers"), paths.symvers);
  return finish(id, paths, set, debs.downloaded, vermagic, kallsyms.symbols, clock.timings, started);
}

/** The image chain: unpack linux-image, boot it with nokaslr and capture /proc/kallsyms. */
async function imageChain(
  id: TargetId,
  paths: TargetPaths,
  imageDeb: string,
  clock: StepClock,
  log: (name: string) => string,
): Promise<string> {
  await clock.run("unpack linux-image (dpkg-deb)", () =>
    extractDeb(imageDeb, paths.imageDir, log("unpack-image")),
  );
  return clock.run("boot the target with nokaslr and copy /proc/kallsyms", () =>
    captureKallsyms({
      runInVm,
      vmlinuz: paths.vmlinuz,
      modulesDir: paths.modulesDir,
      release: id.release,
      logFile: log("vm"),
    }),
  );
}

/** The tree chain: unpack the source, configure it like the headers' build, make prepare. */
async function treeChain(
  id: TargetId,
  paths: TargetPaths,
  inputs: { sourceDeb: string; headersDir: string; source: string },
  clock: StepClock,
  log: (name: string) => string,
): Promise<void> {
  await clock.run(`unpack the kernel source (${inputs.source})`, () =>
    extractSourceTree(inputs.sourceDeb, paths.tree, join(paths.root, "source-deb"), log("unpack-source")),
  );
  await clock.run("configure the tree (headers' .config, make olddefconfig)", async () => {
    configureTree(paths.tree, inputs.headersDir, id.release);
    await makeOlddefconfig(paths.tree, log("make"));
  });
  await clock.run("make -j2 prepare modules_prepare", () => makePrepare(paths.tree, log("make")));
}

/** Awaits both (so nothing keeps running behind a failure), then throws the first error. */
async function bothSettled<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === "rejected") throw ra.reason;
  if (rb.status === "rejected") throw rb.reason;
  return [ra.value, rb.value];
}

async function checkVermagic(paths: TargetPaths, logFile: string): Promise<string> {
  const release = treeRelease(paths.tree);
  if (release !== paths.modulesDir.split("/").pop()) {
    throw new Error(`the prepared tree's release is ${release}, not the target's`);
  }
  const expected = imageVermagic(paths.modulesDir);
  await checkTreeVermagic(paths.tree, expected, join(paths.root, "vermagic-check"), logFile);
  return expected;
}

function compilerOf(tree: string): string {
  const config = readFileSync(join(tree, ".config"), "utf8");
  return /^CONFIG_CC_VERSION_TEXT="(.*)"$/m.exec(config)?.[1] ?? "unknown";
}

async function finish(
  id: TargetId,
  paths: TargetPaths,
  set: KernelPackageSet,
  downloaded: string[],
  vermagic: string,
  kallsymsSymbols: number,
  steps: StepTiming[],
  started: number,
): Promise<TargetManifest> {
  const manifest: TargetManifest = {
    schema: 1,
    target: targetName(id),
    release: id.release,
    version: set.version,
    series: set.series,
    vermagic,
    compiler: compilerOf(paths.tree),
    packages: kernelPackageList(set).map(({ name, version, file, size }) => ({ name, version, file, size })),
    downloaded,
    kallsymsSymbols,
    sizes: {
      total: await diskUsage(paths.root),
      tree: await diskUsage(paths.tree),
      image: await diskUsage(paths.imageDir),
      vmlinux: await diskUsage(paths.vmlinux),
      kallsyms: await diskUsage(paths.kallsyms),
    },
    steps,
    durationMs: Date.now() - started,
    preparedAt: new Date().toISOString(),
  };
  writeManifest(paths.manifest, manifest);
  return manifest;
}
