// SPDX-License-Identifier: GPL-2.0-only
// PLACEHOLDER: replaced by the owner of this command.
import type { Command } from "@commander-js/extra-typings";
import { UserError } from "../../errors/user-error.ts";

export function registerVm(program: Command): void {
  program
    .command("vm")
    .description("Run a command in a VM of a target kernel (not implemented yet)")
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new UserError("'hotpatch vm' is not implemented yet.");
    });
}
