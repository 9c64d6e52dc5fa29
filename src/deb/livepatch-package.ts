// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch package X.ko`: a livepatch as a Debian package bound to its kernel. It ships the
// module under /usr/lib/hotpatch/modules/<release>/, depends on exactly the linux-image package
// the module was built for and on hotpatch's runtime, and its maintainer scripts
// (src/deb/livepatch-scripts.ts) install it into the boot store, load it, unload it and remove it.
import { readFileSync } from "node:fs";
import { UserError } from "../errors/user-error.ts";
import { readModuleFile } from "../runtime/module-file.ts";
import { type BuiltDeb, buildDeb, type DebEntry, packageEpoch } from "./build-deb.ts";
import { checkPackageName, checkVersion } from "./control.ts";
import { docEntries } from "./docs.ts";
import { postinst, postrm, prerm } from "./livepatch-scripts.ts";

export interface LivepatchPackageOptions {
  ko: string;
  outDir: string;
  /** The package's version (default 1). */
  version?: string;
  /** The package's name (default: from the module name and the kernel release). */
  name?: string;
  /** The Debian version of linux-image-<release> the module was built for, e.g. 6.1.176-1. */
  kernelVersion: string;
  maintainer: string;
  /** The oldest hotpatch runtime whose commands the maintainer scripts use. */
  runtimeVersion: string;
}

export interface LivepatchPackage extends BuiltDeb {
  module: string;
  release: string;
  replace: string;
  depends: string[];
}

/** Where the package ships the module (dpkg owns it; the boot store gets a copy). */
export function shippedModulePath(release: string, module: string): string {
  return `usr/lib/hotpatch/modules/${release}/${module}.ko`;
}

/** `hp_01_af_unix` for 6.1.0-50-amd64 -> `hp-01-af-unix-6.1.0-50-amd64` (one package per kernel ABI). */
export function defaultPackageName(module: string, release: string): string {
  const base = module.toLowerCase().replaceAll("_", "-").replace(/^-+/, "");
  return checkPackageName(`${base}-${release}`);
}

export async function packageLivepatch(options: LivepatchPackageOptions): Promise<LivepatchPackage> {
  const module = readModuleFile(options.ko);
  if (!module.livepatch)
    throw new UserError(
      `${options.ko} is not a livepatch module (its modinfo has no livepatch=Y): it was not packaged.`,
    );
  if (!module.release)
    throw new UserError(
      `${options.ko} has no vermagic, so the kernel it is for is unknown: it was not packaged.`,
    );
  const name = checkPackageName(options.name ?? defaultPackageName(module.name, module.release));
  const version = checkVersion(options.version ?? "1");
  checkVersion(options.kernelVersion);
  const kernelPackage = `linux-image-${module.release}`;
  const depends = [
    `${kernelPackage} (= ${options.kernelVersion})`,
    `hotpatch (>= ${options.runtimeVersion})`,
  ];
  const modulePath = shippedModulePath(module.release, module.name);
  const mode = module.replace === "unknown" ? "replace mode unknown" : `${module.replace} mode`;
  const entries: DebEntry[] = [
    { kind: "file", path: modulePath, data: readFileSync(options.ko) },
    ...docEntries({
      package: name,
      version,
      maintainer: options.maintainer,
      changes: [`Livepatch ${module.name} for ${kernelPackage} ${options.kernelVersion} (${mode}).`],
      copyright: {
        upstreamName: module.name,
        comment: `A livepatch module built from a fix to the sources of the Linux kernel of ${kernelPackage} ${options.kernelVersion}.`,
        copyright: `1991-${new Date(packageEpoch() * 1000).getUTCFullYear()} Linus Torvalds and the Linux kernel authors`,
        license: "GPL-2",
      },
    }),
    {
      kind: "file",
      path: `usr/share/lintian/overrides/${name}`,
      // The rollout role (ansible/) reads which module and kernel a package is for from these.
      data: `${name}: unknown-field Hotpatch-Kernel-Release\n${name}: unknown-field Hotpatch-Module\n`,
    },
  ];
  const scriptInputs = {
    package: name,
    version,
    module: module.name,
    release: module.release,
    modulePath: `/${modulePath}`,
  };
  const built = await buildDeb(
    {
      control: {
        package: name,
        version,
        architecture: "amd64",
        maintainer: options.maintainer,
        depends,
        section: "kernel",
        priority: "optional",
        summary: `livepatch ${module.name} for Linux ${module.release}`,
        description: [
          `A live patch for the running kernel of ${kernelPackage} ${options.kernelVersion}, made by hotpatch. Installing the package loads it at once when that kernel runs (waiting until every task has switched to the patched code), and hotpatch.service loads it early at every boot of that kernel, before the network starts. Removing the package unloads it.`,
          `Module ${module.name}, ${mode}.`,
        ],
        extra: { "Hotpatch-Module": module.name, "Hotpatch-Kernel-Release": module.release },
      },
      entries,
      scripts: { postinst: postinst(scriptInputs), prerm: prerm(scriptInputs), postrm: postrm(scriptInputs) },
    },
    options.outDir,
  );
  return { ...built, module: module.name, release: module.release, replace: module.replace, depends };
}
