// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch lab --target T --hosts N [--inventory FILE]`: boots a lab of real Debian 12 guests
// of the target (src/lab), prints how to reach them once they all answer, and runs until
// Ctrl-C or SIGTERM, which stop every guest and remove what the lab made.
import type { Command } from "@commander-js/extra-typings";
import { readManifest } from "../../kernel/debian-manifest.ts";
import { loadPreparedTarget } from "../../kernel/prepare.ts";
import { DEFAULT_TARGET, parseTargetName } from "../../kernel/target-layout.ts";
import { checkLabOptions, Lab, type LabInfo } from "../../lab/index.ts";
import { formatSeconds } from "../../util/progress.ts";
import { examples } from "../help.ts";
import { collect, positiveInteger } from "../options.ts";
import { emit } from "../output.ts";

function render(lab: LabInfo): string {
  const quoteWord = (w: string) => (/^[A-Za-z0-9_./:=@+-]+$/.test(w) ? w : `'${w}'`);
  return [
    `lab of ${lab.target} ready: ${lab.hosts.length} guest${lab.hosts.length === 1 ? "" : "s"} answered on SSH after ${formatSeconds(lab.bootMs)}`,
    ...lab.hosts.map((h) => `  ${h.name}  ${h.ssh.map(quoteWord).join(" ")}`),
    `inventory: ${lab.inventory}`,
    `  ansible-playbook -i ${lab.inventory} ansible/rollout.yml -e hotpatch_package=PKG.deb -e hotpatch_runtime_package=hotpatch.deb`,
    `boot loader entries (kernel command-line words for a guest's next boot): ${lab.dir}/hN.cmdline`,
    "Ctrl-C stops every guest and removes the lab.",
  ].join("\n");
}

export function registerLab(program: Command): void {
  program
    .command("lab")
    .description(
      "Boot guests of a target with a real Debian 12 (systemd, ssh, apt) to rehearse packages and rollouts",
    )
    .option("--target <name>", "the prepared target kernel the guests run", DEFAULT_TARGET)
    .option("--hosts <n>", "how many guests", positiveInteger, 1)
    .option("--inventory <file>", "write the Ansible inventory here (removed when the lab stops)")
    .option("--append <word>", "add a word to every guest's kernel command line; repeatable", collect)
    .option(
      "--boot-timeout <seconds>",
      "give up when a guest does not answer on SSH in this time",
      positiveInteger,
      600,
    )
    .option("--json", "print the lab (hosts, ports, key, inventory) as JSON once it is ready")
    .addHelpText(
      "after",
      `
The first lab of a target builds its Debian 12 disk image from Debian's archive (mmdebstrap,
about a minute; needs root) and caches it; every guest boots a copy-on-write overlay of it, so
what a guest installs stays on its own disk across reboots and vanishes with the lab. Guests
run the target's own kernel under QEMU (1 vCPU, 1 GB each), systemd as PID 1, openssh, apt,
Debian's nodejs and python3, and the target's linux-image package is installed.

A guest's 'reboot' boots it again with the same disk. To boot it with extra kernel words (as
at a boot loader prompt), write them into <lab dir>/hN.cmdline before rebooting it.
${examples(
  "hotpatch lab --hosts 3 --inventory lab.ini",
  "ansible -i lab.ini hotpatch_lab -m ping",
  "hotpatch lab --hosts 2 --json > lab.json &",
)}`,
    )
    .action(async (opts) => {
      checkLabOptions({ hosts: opts.hosts, inventory: opts.inventory, append: opts.append });
      const id = parseTargetName(opts.target);
      const paths = loadPreparedTarget(id);
      const manifest = readManifest(paths.manifest);
      if (!manifest) throw new Error(`prepared target without a manifest: ${paths.manifest}`);
      const lab = await Lab.start({
        paths,
        manifest,
        hosts: opts.hosts,
        inventory: opts.inventory,
        append: opts.append,
        bootTimeoutSec: opts.bootTimeout,
      });
      emit(opts, lab.info, render);
      // Runs until a signal: src/util/reaper.ts kills the guests and removes the lab, then
      // hotpatch dies of that signal.
      await new Promise(() => setInterval(() => undefined, 60_000));
    });
}
