// SPDX-License-Identifier: GPL-2.0-only
// Configuring the Debian kernel source like the target's own build: the headers package's
// .config (the build's own, with CONFIG_BUILD_SALT and the gcc-12 version text) and its
// .kernelvariables, which Debian's top Makefile includes (`-include .kernelvariables`) and
// which fix `KERNELRELEASE = <abi>` and `CC = gcc-12`. So every make in the tree, in-tree
// objects and `M=` external modules alike, gets vermagic "<abi> SMP preempt ..." without
// extra make variables, and `make prepare` never falls back to the upstream "6.1.176".
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors/user-error.ts";
import { run } from "../util/run.ts";

/** The headers package's own directory: usr/src/linux-headers-<release>. */
export function headersBuildDir(headersDir: string, release: string): string {
  return join(headersDir, "usr", "src", `linux-headers-${release}`);
}

function requireFile(path: string, what: string): string {
  if (!existsSync(path)) throw new UserError(`The headers package has no ${what} (${path}).`);
  return path;
}

/** Copies .config, .kernelvariables and Module.symvers from the headers into the tree. */
export function configureTree(tree: string, headersDir: string, release: string): void {
  const from = headersBuildDir(headersDir, release);
  copyFileSync(requireFile(join(from, ".config"), ".config"), join(tree, ".config"));
  copyFileSync(requireFile(join(from, "Module.symvers"), "Module.symvers"), join(tree, "Module.symvers"));
  const vars = join(from, ".kernelvariables");
  if (existsSync(vars)) copyFileSync(vars, join(tree, ".kernelvariables"));
  if (!readFileSync(join(tree, "Makefile"), "utf8").includes("-include .kernelvariables")) {
    // Not a Debian-patched tree: the release would be upstream's; refuse rather than build a
    // tree whose modules the target rejects.
    throw new UserError(
      `The kernel source in ${tree} does not read .kernelvariables, so its release cannot be set to ${release}.`,
    );
  }
}

/** The compiler the target was built with, from a .kernelvariables in `dir` (e.g. "gcc-12"):
 * the last word of its `CC = ... $(CROSS_COMPILE)gcc-12` line, make variables removed. */
export function targetCompiler(dir: string): string {
  const vars = join(dir, ".kernelvariables");
  if (!existsSync(vars)) return "gcc";
  const line = /^CC\s*=(.*)$/m.exec(readFileSync(vars, "utf8"))?.[1] ?? "";
  const last = line.trim().split(/\s+/).pop() ?? "";
  return last.replace(/\$\([^)]*\)/g, "") || "gcc";
}

export async function makeOlddefconfig(tree: string, logFile: string): Promise<void> {
  await run("make", ["-C", tree, "olddefconfig"], { logFile, what: "make olddefconfig" });
}

export async function makePrepare(tree: string, logFile: string): Promise<void> {
  await run("make", ["-C", tree, "-j2", "prepare", "modules_prepare"], {
    logFile,
    what: "make prepare modules_prepare",
  });
}

/** The release the prepared tree compiles into modules (include/generated/utsrelease.h). */
export function treeRelease(tree: string): string | undefined {
  const path = join(tree, "include", "generated", "utsrelease.h");
  if (!existsSync(path)) return undefined;
  return /UTS_RELEASE\s+"([^"]*)"/.exec(readFileSync(path, "utf8"))?.[1];
}
