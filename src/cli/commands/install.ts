// SPDX-License-Identifier: GPL-2.0-only
// PLACEHOLDER: replaced by the owner of this command.
import type { Command } from "@commander-js/extra-typings";
import { UserError } from "../../errors/user-error.ts";

export function registerInstall(program: Command): void {
  program
    .command("install")
    .description("Install a livepatch for loading at boot (not implemented yet)")
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new UserError("'hotpatch install' is not implemented yet.");
    });
}

export function registerUninstall(program: Command): void {
  program
    .command("uninstall")
    .description("Remove an installed livepatch (not implemented yet)")
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new UserError("'hotpatch uninstall' is not implemented yet.");
    });
}
