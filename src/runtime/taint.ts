// SPDX-License-Identifier: GPL-2.0-only
// The kernel's taint mask (/proc/sys/kernel/tainted) decoded into its letters, as
// kernel/panic.c's taint_flags table names them in Linux 6.1. K is the livepatch taint.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { RuntimeEnv } from "./env.ts";

export interface TaintFlag {
  bit: number;
  letter: string;
  meaning: string;
}

export const TAINT_FLAGS: readonly TaintFlag[] = [
  { bit: 0, letter: "P", meaning: "proprietary module loaded" },
  { bit: 1, letter: "F", meaning: "module force-loaded" },
  { bit: 2, letter: "S", meaning: "CPU out of specification" },
  { bit: 3, letter: "R", meaning: "module force-unloaded" },
  { bit: 4, letter: "M", meaning: "machine check" },
  { bit: 5, letter: "B", meaning: "bad page" },
  { bit: 6, letter: "U", meaning: "tainted by user" },
  { bit: 7, letter: "D", meaning: "kernel died (oops)" },
  { bit: 8, letter: "A", meaning: "ACPI table overridden" },
  { bit: 9, letter: "W", meaning: "warning issued" },
  { bit: 10, letter: "C", meaning: "staging driver loaded" },
  { bit: 11, letter: "I", meaning: "firmware workaround" },
  { bit: 12, letter: "O", meaning: "out-of-tree module loaded" },
  { bit: 13, letter: "E", meaning: "unsigned module loaded" },
  { bit: 14, letter: "L", meaning: "soft lockup" },
  { bit: 15, letter: "K", meaning: "kernel live patched" },
  { bit: 16, letter: "X", meaning: "auxiliary taint" },
  { bit: 17, letter: "T", meaning: "struct randomization plugin" },
  { bit: 18, letter: "N", meaning: "test module loaded" },
];

export interface Taint {
  value: number;
  flags: TaintFlag[];
  /** Letters of the set bits, e.g. "OEK"; bits this table does not know show as "?". */
  letters: string;
  livepatched: boolean;
}

export function decodeTaint(value: number): Taint {
  const flags = TAINT_FLAGS.filter((f) => (value & (1 << f.bit)) !== 0);
  const known = flags.reduce((mask, f) => mask | (1 << f.bit), 0);
  const letters = flags.map((f) => f.letter).join("") + (value & ~known ? "?" : "");
  return { value, flags, letters, livepatched: (value & (1 << 15)) !== 0 };
}

export function readTaint(env: RuntimeEnv): Taint {
  const text = readFileSync(join(env.proc, "sys", "kernel", "tainted"), "utf8");
  return decodeTaint(Number.parseInt(text.trim(), 10) || 0);
}
