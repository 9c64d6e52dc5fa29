// SPDX-License-Identifier: GPL-2.0-only
// The hotpatch command line: one file per command in ./commands; this file only wires them
// and turns typed errors into one sentence on stderr and an exit code.
import { Command, CommanderError } from "@commander-js/extra-typings";
import { UserError } from "../errors/user-error.ts";
import { colors as pc } from "../util/colors.ts";
import { commands } from "./commands/index.ts";

function handleError(error: unknown): never {
  if (error instanceof UserError) {
    process.stderr.write(`${pc.red("hotpatch:")} ${error.message}\n`);
    for (const line of error.details) process.stderr.write(`  ${line}\n`);
    process.exit(error.exitCode);
  }
  if (error instanceof CommanderError) process.exit(error.exitCode);
  // A bug in hotpatch, not a user error: keep the stack so it can be reported.
  process.stderr.write(
    `${pc.red("hotpatch: internal error:")} ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
}

async function main(): Promise<void> {
  const program = new Command()
    .name("hotpatch")
    .description(
      "Turn a Linux kernel fix into a live patch, verify it in a VM of the exact kernel, and operate it.",
    )
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    // Usage errors read like every other error: `hotpatch: <sentence>` (subcommands inherit this).
    .configureOutput({
      outputError: (text, write) => write(text.replace(/^error: /, `${pc.red("hotpatch:")} `)),
    });
  for (const register of commands) register(program);
  await program.parseAsync(process.argv);
}

process.on("unhandledRejection", handleError);
main().catch(handleError);
