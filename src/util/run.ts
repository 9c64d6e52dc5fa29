// SPDX-License-Identifier: GPL-2.0-only
// Running external programs: argv arrays only (never shell strings built from input); long
// tool output goes to a log file whose path and last lines are shown when the tool fails.
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { execa } from "execa";
import { MissingToolError, UserError } from "../errors/user-error.ts";
import { startGuarded } from "./reaper.ts";

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Append stdout+stderr here instead of returning it; shown (tail) on failure. */
  logFile?: string;
  /** What the step is, for the error sentence, e.g. "make prepare". */
  what?: string;
}

/** Maps program names to the Debian package that installs them, for MissingToolError. */
const debianPackageOf: Record<string, string> = {
  "apt-get": "apt",
  "dpkg-deb": "dpkg",
  make: "make",
  gcc: "gcc",
  "gcc-12": "gcc-12",
  "qemu-system-x86_64": "qemu-system-x86",
  cpio: "cpio",
  busybox: "busybox-static",
  patch: "patch",
  readelf: "binutils",
  objcopy: "binutils",
  ld: "binutils",
  tar: "tar",
  xz: "xz-utils",
  insmod: "kmod",
  modinfo: "kmod",
  mmdebstrap: "mmdebstrap",
  mke2fs: "e2fsprogs",
  "qemu-img": "qemu-utils",
  "ssh-keygen": "openssh-client",
  unshare: "util-linux",
};

function tailOf(text: string, lines = 20): string[] {
  return text.trimEnd().split("\n").slice(-lines);
}

/** Runs a program to completion; throws a UserError naming it (and its log) on failure. */
export async function run(program: string, args: string[], options: RunOptions = {}): Promise<string> {
  const what = options.what ?? `${program} ${args.slice(0, 3).join(" ")}`;
  if (options.logFile) {
    mkdirSync(dirname(options.logFile), { recursive: true });
    appendFileSync(options.logFile, `\n$ ${program} ${args.join(" ")}\n`);
  }
  // Its own process group, so a signal to hotpatch kills the tool's children too (make's gcc,
  // dpkg-deb's tar): see reaper.ts.
  const { child, unguard } = startGuarded(
    () =>
      execa(program, args, {
        cwd: options.cwd,
        env: options.env,
        reject: false,
        all: true,
        stdin: "ignore",
        maxBuffer: 512 * 1024 * 1024,
        detached: true,
      }),
    { group: true },
  );
  const result = await child.finally(unguard);
  const output = result.all ?? "";
  if (options.logFile) appendFileSync(options.logFile, output);
  if ((result as { code?: string }).code === "ENOENT") {
    throw new MissingToolError(program, debianPackageOf[program] ?? program);
  }
  if (result.exitCode !== 0 || result.failed) {
    const where = options.logFile ? ` (full log: ${options.logFile})` : "";
    throw new UserError(`${what} failed with exit code ${result.exitCode ?? "?"}${where}.`, tailOf(output));
  }
  return result.stdout ?? "";
}
