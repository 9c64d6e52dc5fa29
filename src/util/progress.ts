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

/**
 * A progress line for work over many items (units compiled, preprocessed): `label 12/40
 * (35.2 s)`, rewritten in place on a terminal, else printed at most every 10 s and at the end.
 */
export function counter(label: string, total: number): { tick: (done: number) => void; end: () => void } {
  const started = Date.now();
  const tty = process.stderr.isTTY === true;
  let lastPrint = started;
  let last = -1;
  const show = (done: number, final: boolean) => {
    if (quiet() || done === last) return;
    const now = Date.now();
    if (!tty && !final && now - lastPrint < 10_000) return;
    last = done;
    lastPrint = now;
    const line = `  ${label} ${done}/${total} (${formatSeconds(now - started)})`;
    process.stderr.write(tty ? `\r${line}${final ? "\n" : ""}` : `${line}\n`);
  };
  return {
    tick: (done) => show(done, false),
    end: () => {
      last = -1;
      show(total, true);
    },
  };
}
