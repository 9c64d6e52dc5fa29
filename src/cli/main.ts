// SPDX-License-Identifier: GPL-2.0-only
// The hotpatch command line: one file per command in ./commands; src/cli/program.ts wires them
// and turns typed errors into one sentence on stderr and an exit code.
import { commands } from "./commands/index.ts";
import { runProgram } from "./program.ts";

runProgram(
  "Turn a Linux kernel fix into a live patch, verify it in a VM of the exact kernel, and operate it.",
  commands,
);
