// SPDX-License-Identifier: GPL-2.0-only
// PLACEHOLDER: replaced by the owner of this command.
import type { Command } from "@commander-js/extra-typings";
import { UserError } from "../../errors/user-error.ts";

export function registerTarget(program: Command): void {
  program
    .command("target")
    .description("Prepare and list kernel targets (not implemented yet)")
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new UserError("'hotpatch target' is not implemented yet.");
    });
}
