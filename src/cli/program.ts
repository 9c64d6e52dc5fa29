// SPDX-License-Identifier: GPL-2.0-only
// The program both entry points run: the full CLI (src/cli/main.ts) and the runtime-only one
// packaged for servers (src/cli/runtime-main.ts). Wires the commands and turns typed errors
// into one sentence on stderr and an exit code.
import { Command, CommanderError } from "@commander-js/extra-typings";
import { UserError } from "../errors/user-error.ts";
import { colors as pc } from "../util/colors.ts";

/** hotpatch's version (package.json's; a unit test keeps them equal). */
export const VERSION = "0.1.0";

export type RegisterCommand = (program: Command) => void;

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

/** The program with `commands` registered (also what the man page is written from). */
export function makeProgram(description: string, commands: readonly RegisterCommand[]): Command {
  const program = new Command()
    .name("hotpatch")
    .description(description)
    .version(VERSION)
    // The program's own options (-V/--version) only before the command, so a command may have
    // a --version of its own (`hotpatch package --version 2`).
    .enablePositionalOptions()
    .showHelpAfterError("(run with --help for usage)")
    // Usage errors read like every other error: `hotpatch: <sentence>` (subcommands inherit this).
    .configureOutput({
      outputError: (text, write) => write(text.replace(/^error: /, `${pc.red("hotpatch:")} `)),
    });
  for (const register of commands) register(program);
  return program;
}

/** Parses the command line and runs the command; never returns on error. */
export function runProgram(description: string, commands: readonly RegisterCommand[]): void {
  process.on("unhandledRejection", handleError);
  makeProgram(description, commands).parseAsync(process.argv).catch(handleError);
}
