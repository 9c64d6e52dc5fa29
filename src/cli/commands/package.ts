// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch package X.ko [--version V] [-o DIR]`: a livepatch as a Debian package bound to the
// exact linux-image package it was built for (src/deb/livepatch-package.ts).
import type { Command } from "@commander-js/extra-typings";
import { type LivepatchPackage, packageLivepatch } from "../../deb/livepatch-package.ts";
import { packageMaintainer } from "../../deb/maintainer.ts";
import { UserError } from "../../errors/user-error.ts";
import { readManifest } from "../../kernel/debian-manifest.ts";
import { targetPaths } from "../../kernel/target-layout.ts";
import { readModuleFile } from "../../runtime/module-file.ts";
import { examples } from "../help.ts";
import { emit } from "../output.ts";
import { VERSION } from "../program.ts";

/** The Debian version of linux-image-<release>: given, or the prepared target's. */
function kernelVersionFor(ko: string, given: string | undefined): string {
  if (given) return given;
  const release = readModuleFile(ko).release;
  if (!release) return "0"; // refused with its own sentence by packageLivepatch
  const manifest = readManifest(targetPaths({ distro: "debian", release }).manifest);
  if (manifest) return manifest.version;
  throw new UserError(
    `The Debian version of linux-image-${release} is not known here: prepare the target ('hotpatch target prepare debian:${release}') or give --kernel-version.`,
  );
}

function render(p: LivepatchPackage): string {
  return [
    `wrote ${p.path}`,
    `  ${p.package} ${p.version} (${p.architecture}): livepatch ${p.module} for ${p.release}, ${p.replace} mode`,
    `  Depends: ${p.depends.join(", ")}`,
  ].join("\n");
}

export function registerPackage(program: Command): void {
  program
    .command("package")
    .description("Make a Debian package of a livepatch, bound to the exact kernel package it was built for")
    .argument("<module>", "the livepatch .ko file (from hotpatch build)")
    .option("--version <version>", "the package's version", "1")
    .option("-o, --output <dir>", "the directory to write the .deb into", ".")
    .option("--name <package>", "the package's name (default: <module name>-<kernel release>, '_' as '-')")
    .option(
      "--kernel-version <version>",
      "Debian version of linux-image-<release> (default: the prepared target's)",
    )
    .option("--maintainer <who>", "'Full Name <address>' (default: $DEBFULLNAME <$DEBEMAIL>)")
    .option("--json", "print what was written as JSON")
    .addHelpText(
      "after",
      `
The package installs the module into hotpatch's boot store and loads it when the running kernel
is the module's; it depends on exactly that linux-image package and on hotpatch's runtime
package ('npm run deb'). Removing it unloads the patch, or refuses when the kernel cannot let
go. A new version of a cumulative patch, built under another module name and packaged under
the same package name, replaces the loaded one in place. See docs/delivery.md.
${examples(
  "hotpatch package af_unix.ko --version 1 -o dist/",
  "hotpatch build fix.patch --name hp_fleet_2 -o hp_fleet_2.ko && hotpatch package hp_fleet_2.ko --name hp-fleet-6.1.0-50-amd64 --version 2",
)}`,
    )
    .action(async (module, opts) => {
      const result = await packageLivepatch({
        ko: module,
        outDir: opts.output,
        version: opts.version,
        name: opts.name,
        kernelVersion: kernelVersionFor(module, opts.kernelVersion),
        maintainer: packageMaintainer(opts.maintainer),
        runtimeVersion: VERSION,
      });
      emit(opts, result, render);
    });
}
