// SPDX-License-Identifier: GPL-2.0-only
// The commands of the runtime package (what a server needs to operate livepatches), in the
// order --help lists them. They import src/runtime only: no compiler, kernel tree or QEMU.
import { registerInstall, registerUninstall } from "./commands/install.ts";
import { registerList } from "./commands/list.ts";
import { registerLoad } from "./commands/load.ts";
import { registerStatus } from "./commands/status.ts";
import { registerUnload } from "./commands/unload.ts";
import type { RegisterCommand } from "./program.ts";

export const RUNTIME_DESCRIPTION =
  "Operate kernel live patches on this system: load, unload, list, and load the installed ones at boot.";

export const runtimeCommands: readonly RegisterCommand[] = [
  registerLoad,
  registerUnload,
  registerList,
  registerStatus,
  registerInstall,
  registerUninstall,
];
