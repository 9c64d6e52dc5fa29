// SPDX-License-Identifier: GPL-2.0-only
// PLACEHOLDER: replaced by the owner of this command.
import type { Command } from "@commander-js/extra-typings";
import { UserError } from "../../errors/user-error.ts";

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("Show livepatch status (not implemented yet)")
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new UserError("'hotpatch status' is not implemented yet.");
    });
}
