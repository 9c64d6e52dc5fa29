// SPDX-License-Identifier: GPL-2.0-only
// PLACEHOLDER: replaced by the owner of this command.
import type { Command } from "@commander-js/extra-typings";
import { UserError } from "../../errors/user-error.ts";

export function registerVerify(program: Command): void {
  program
    .command("verify")
    .description("Verify a livepatch module in a VM of its target kernel (not implemented yet)")
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new UserError("'hotpatch verify' is not implemented yet.");
    });
}
