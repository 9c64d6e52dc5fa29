// SPDX-License-Identifier: GPL-2.0-only
// The files of one run's share (tag `hprun`, read-only in the guest): the command as a small
// sh script with every argument single-quoted, the modules to load, the writable directory,
// the marker nonce, and a `hotpatch` wrapper on the guest's PATH that runs this checkout's CLI.
// The command never goes through the kernel command line.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../errors/user-error.ts";
import { buildCpio } from "./cpio.ts";
import { GUEST_RUN_DIR, MINIMAL_RUN_DIR } from "./init-script.ts";

/** Quotes one word for sh: inside single quotes nothing is special but the quote itself. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** The guest's PATH: this run's bin (the `hotpatch` wrapper), node's directory, the usual ones. */
export function guestPath(runBinDir: string, nodeDir: string): string {
  const dirs = [
    runBinDir,
    nodeDir,
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
  ];
  return [...new Set(dirs)].join(":");
}

export function commandScript(
  command: readonly string[],
  cwd: string,
  path = guestPath(GUEST_BIN_DIR, "/usr/bin"),
): string {
  if (command.length === 0) throw new UserError("No command given to run in the VM.");
  for (const word of command) {
    if (word.includes("\0"))
      throw new UserError("A command argument contains a NUL byte, which no program can receive.");
  }
  return [
    "# The command of one hotpatch VM run (src/vm/guest-command.ts).",
    // The host's working directory exists in the guest too (same paths); fall back to /.
    `export PATH=${shellQuote(path)}`,
    `cd ${shellQuote(cwd)} 2>/dev/null || cd /`,
    `exec ${command.map(shellQuote).join(" ")}`,
    "",
  ].join("\n");
}

/** Paths that the guest reads line by line must be absolute and fit on one line. */
function checkGuestPath(path: string, what: string): string {
  if (!path.startsWith("/") || /[\n\r\0]/.test(path)) {
    throw new UserError(
      `The ${what} path ${JSON.stringify(path)} cannot be passed to the VM (it must be absolute and on one line).`,
    );
  }
  return path;
}

/** Where the run share's bin directory is in the guest. */
const GUEST_BIN_DIR = `${GUEST_RUN_DIR}/bin`;

/**
 * This checkout's CLI entry (bin/hotpatch.js), found upwards from this file: the bundle lives in
 * dist/, the sources in src/vm/. Undefined when hotpatch runs from somewhere without it.
 */
export function findHotpatchEntry(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = from;
  for (let i = 0; i < 4; i++) {
    const entry = join(dir, "bin", "hotpatch.js");
    if (existsSync(entry) && existsSync(join(dir, "package.json"))) return entry;
    dir = dirname(dir);
  }
  return undefined;
}

/** A `hotpatch` command for the guest that runs this very checkout with this very node. */
function writeHotpatchWrapper(binDir: string): void {
  const entry = findHotpatchEntry();
  if (!entry) return;
  mkdirSync(binDir, { recursive: true });
  const script = `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(entry)} "$@"\n`;
  writeFileSync(join(binDir, "hotpatch"), script, { mode: 0o755 });
}

export interface RunShare {
  nonce: string;
}

export function writeRunShare(
  dir: string,
  run: { command: readonly string[]; cwd: string; modules: readonly string[]; writableDir?: string },
): RunShare {
  const nonce = randomBytes(12).toString("hex");
  const modules = run.modules.map((m) => checkGuestPath(m, "module"));
  writeFileSync(join(dir, "nonce"), `${nonce}\n`);
  writeHotpatchWrapper(join(dir, "bin"));
  const path = guestPath(GUEST_BIN_DIR, dirname(process.execPath));
  writeFileSync(join(dir, "command.sh"), commandScript(run.command, run.cwd, path));
  writeFileSync(join(dir, "modules"), modules.map((m) => `${m}\n`).join(""));
  writeFileSync(
    join(dir, "writable"),
    run.writableDir ? `${checkGuestPath(run.writableDir, "writable directory")}\n` : "",
  );
  return { nonce };
}

/**
 * A minimal guest's run (a kernel without 9p): the nonce and the command (busybox only, from
 * /) as a second cpio archive appended to a copy of the initramfs; returns that copy's path.
 */
export function writeMinimalRun(
  dir: string,
  initramfs: string,
  command: readonly string[],
): RunShare & { initrd: string } {
  const nonce = randomBytes(12).toString("hex");
  const archive = buildCpio([
    { kind: "dir", path: MINIMAL_RUN_DIR },
    { kind: "file", path: `${MINIMAL_RUN_DIR}/nonce`, data: Buffer.from(`${nonce}\n`) },
    {
      kind: "file",
      path: `${MINIMAL_RUN_DIR}/command.sh`,
      data: Buffer.from(commandScript(command, "/", "/bin")),
    },
  ]);
  const initrd = join(dir, "initrd.cpio");
  writeFileSync(initrd, Buffer.concat([readFileSync(initramfs), archive]));
  return { nonce, initrd };
}
