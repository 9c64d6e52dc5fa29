// SPDX-License-Identifier: GPL-2.0-only
// Every command, in the order --help lists them. Each file registers one command (or one
// command group) on the program and does only parsing and printing.
import type { Command } from "@commander-js/extra-typings";
import { registerBuild } from "./build.ts";
import { registerDemo } from "./demo.ts";
import { registerDiff } from "./diff.ts";
import { registerElf } from "./elf.ts";
import { registerInstall, registerUninstall } from "./install.ts";
import { registerLab } from "./lab.ts";
import { registerList } from "./list.ts";
import { registerLoad } from "./load.ts";
import { registerPackage } from "./package.ts";
import { registerStatus } from "./status.ts";
import { registerTarget } from "./target.ts";
import { registerUnload } from "./unload.ts";
import { registerVerify } from "./verify.ts";
import { registerVm } from "./vm.ts";

export const commands: Array<(program: Command) => void> = [
  registerTarget,
  registerBuild,
  registerVerify,
  registerDemo,
  registerDiff,
  registerVm,
  registerLab,
  registerLoad,
  registerUnload,
  registerList,
  registerStatus,
  registerInstall,
  registerUninstall,
  registerPackage,
  registerElf,
];
