// SPDX-License-Identifier: GPL-2.0-only
// PLACEHOLDER: replaced by the owner of this command.
import type { Command } from "@commander-js/extra-typings";
import { UserError } from "../../errors/user-error.ts";

export function registerElf(program: Command): void {
  program
    .command("elf")
    .description("Inspect ELF objects (not implemented yet)")
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new UserError("'hotpatch elf' is not implemented yet.");
    });
}
