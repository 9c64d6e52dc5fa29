// SPDX-License-Identifier: GPL-2.0-only
// The files of one run's share (tag `hprun`, read-only in the guest): the command as a small
// sh script with every argument single-quoted, the modules to load, the writable directory and
// the marker nonce. The command never goes through the kernel command line.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors/user-error.ts";

/** Quotes one word for sh: inside single quotes nothing is special but the quote itself. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

export function commandScript(command: readonly string[], cwd: string): string {
  if (command.length === 0) throw new UserError("No command given to run in the VM.");
  for (const word of command) {
    if (word.includes("\0"))
      throw new UserError("A command argument contains a NUL byte, which no program can receive.");
  }
  return [
    "# The command of one hotpatch VM run (src/vm/guest-command.ts).",
    // The host's working directory exists in the guest too (same paths); fall back to /.
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
  writeFileSync(join(dir, "command.sh"), commandScript(run.command, run.cwd));
  writeFileSync(join(dir, "modules"), modules.map((m) => `${m}\n`).join(""));
  writeFileSync(
    join(dir, "writable"),
    run.writableDir ? `${checkGuestPath(run.writableDir, "writable directory")}\n` : "",
  );
  return { nonce };
}
