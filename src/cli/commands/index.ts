// SPDX-License-Identifier: GPL-2.0-only
// Every command, in the order --help lists them. Each file registers one command (or one
// command group) on the program and does only parsing and printing. The runtime's commands
// are the ones the server package holds (src/cli/runtime-commands.ts).
import type { RegisterCommand } from "../program.ts";
import { runtimeCommands } from "../runtime-commands.ts";
import { registerBuild } from "./build.ts";
import { registerDemo } from "./demo.ts";
import { registerDiff } from "./diff.ts";
import { registerElf } from "./elf.ts";
import { registerLab } from "./lab.ts";
import { registerPackage } from "./package.ts";
import { registerTarget } from "./target.ts";
import { registerVerify } from "./verify.ts";
import { registerVm } from "./vm.ts";

export const commands: readonly RegisterCommand[] = [
  registerTarget,
  registerBuild,
  registerVerify,
  registerDemo,
  registerDiff,
  registerVm,
  registerLab,
  ...runtimeCommands,
  registerPackage,
  registerElf,
];
