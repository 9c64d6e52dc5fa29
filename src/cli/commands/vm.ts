// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch vm --target T [--module M.ko ...] -- CMD ARGS...`: parsing and printing only; the
// VM itself is src/vm. The command's output streams to stdout and hotpatch exits with its status.
import { type Command, InvalidArgumentError } from "@commander-js/extra-typings";
import { loadPreparedTarget } from "../../kernel/prepare.ts";
import { DEFAULT_TARGET, parseTargetName } from "../../kernel/target-layout.ts";
import { formatSeconds, note } from "../../util/progress.ts";
import { runInTargetVm } from "../../vm/index.ts";
import { examples } from "../help.ts";
import { collect } from "../targets.ts";

function seconds(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new InvalidArgumentError("expected a positive number of seconds.");
  return parsed;
}

export function registerVm(program: Command): void {
  program
    .command("vm")
    .description(
      "Boot a target kernel in QEMU with this machine's files (read-only) and run one command in it as root",
    )
    .argument("<command...>", "the command and its arguments (put them after --)")
    .option("--target <name>", "the prepared target kernel to boot", DEFAULT_TARGET)
    .option("--module <ko>", "load this module (insmod) before the command; repeatable", collect)
    .option("--timeout <seconds>", "kill the VM and fail after this many seconds", seconds, 300)
    .option("--writable <dir>", "mount this host directory read-write at the same path in the guest")
    .option("--append <word>", "add a word to the kernel command line; repeatable", collect)
    .option("--kaslr", "boot through the compressed image (randomized kernel address, ~3 s slower)")
    .option("--kvm", "try KVM first (falls back to TCG emulation with a warning)")
    .addHelpText(
      "after",
      `
The guest sees this machine's filesystem read-only at the same paths, under a tmpfs overlay
(writes are allowed and vanish with the VM), and starts in the current directory.
Kernel messages are kept apart from the command's output; a panic, oops or timeout is an error
that shows the console's last lines.
${examples(
  "hotpatch vm -- cat /proc/version",
  "hotpatch vm --module ./livepatch-sample.ko -- cat /proc/cmdline",
  "hotpatch vm --writable /tmp/out -- sh -c 'cat /proc/kallsyms > /tmp/out/kallsyms'",
)}`,
    )
    .action(async (command, options) => {
      const paths = loadPreparedTarget(parseTargetName(options.target));
      const result = await runInTargetVm(paths, {
        command,
        modules: options.module ?? [],
        timeoutSec: options.timeout,
        writableDir: options.writable,
        extraCmdline: options.append ?? [],
        kaslr: options.kaslr,
        kvm: options.kvm,
        onOutput: (chunk) => process.stdout.write(chunk),
      });
      note(
        `vm: command exited with status ${result.exitCode} after ${formatSeconds(result.durationMs)} in all`,
      );
      process.exitCode = result.exitCode;
    });
}
