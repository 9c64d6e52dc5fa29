// SPDX-License-Identifier: GPL-2.0-only
// Long steps announce themselves and their duration on stderr, so stdout stays for results
// (and for --json). Set HOTPATCH_QUIET=1 to silence them.
import { colors as pc } from "./colors.ts";

const quiet = () => process.env.HOTPATCH_QUIET === "1";

export function note(message: string): void {
  if (!quiet()) process.stderr.write(`${message}\n`);
}

export function warn(message: string): void {
  process.stderr.write(`${pc.yellow("warning:")} ${message}\n`);
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Runs one named step, printing `label ... 1.2 s` when it ends (or `failed`). */
export async function step<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  note(`${pc.cyan("•")} ${label} ...`);
  try {
    const result = await work();
    note(`  ${pc.green("done")} ${label} (${formatSeconds(Date.now() - started)})`);
    return result;
  } catch (error) {
    note(`  ${pc.red("failed")} ${label} (${formatSeconds(Date.now() - started)})`);
    throw error;
  }
}
