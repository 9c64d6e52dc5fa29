// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch verify OUT.ko --target T [--check CMD] [--upgrade-from OLD.ko]`: parsing and
// printing only; the VM run is src/klp/verify.ts. Exit 0 when every step passed, 1 with the
// failed step's reason otherwise. With several modules and --target options, each module is
// verified in a VM of the target its vermagic names (the single-target verification, once per
// module).
import type { Command } from "@commander-js/extra-typings";
import { UserError } from "../../errors/user-error.ts";
import { prepareTarget } from "../../kernel/prepare.ts";
import { DEFAULT_TARGET, type TargetId, targetName } from "../../kernel/target-layout.ts";
import { checkBuiltFor, checkUpgrade, type VerifyReport, verifyModule } from "../../klp/verify.ts";
import { formatSeconds } from "../../util/progress.ts";
import { checkUserFile } from "../../util/user-files.ts";
import { examples } from "../help.ts";
import { collect } from "../options.ts";
import { emit } from "../output.ts";
import { pairModules, targetsFrom } from "../targets.ts";

function indented(text: string): string[] {
  return text
    .trimEnd()
    .split("\n")
    .map((l) => `  ${l}`);
}

export function renderVerifyReport(r: VerifyReport): string {
  const upgrade = r.upgradeFrom ? `, upgrading from ${r.upgradeFrom.patch} (${r.upgradeFrom.module})` : "";
  const lines = [`verify ${r.patch} (${r.module})${upgrade}: boot ${formatSeconds(r.bootMs)}`];
  for (const s of r.steps)
    lines.push(
      `  ${s.ok ? "ok  " : "FAIL"} ${s.step.padEnd(14)} ${formatSeconds(s.ms)}${s.detail ? `  ${s.detail}` : ""}`,
    );
  for (const s of r.steps.filter((step) => step.output?.trim()))
    lines.push(
      `${s.step === "check" ? "check" : "check of the old patch"} output:`,
      ...indented(s.output ?? ""),
    );
  lines.push(r.ok ? `verified in ${formatSeconds(r.totalMs)}` : `verification failed: ${r.failure}`);
  return lines.join("\n");
}

export function registerVerify(program: Command): void {
  program
    .command("verify")
    .description(
      "Prove a livepatch module in a VM of its target kernel: load, transition, check, disable, unload",
    )
    .argument("<ko...>", "the livepatch module (several: one per --target, matched by vermagic)")
    .option("--target <name>", `the target kernel (default ${DEFAULT_TARGET}); repeatable`, collect)
    .option("--check <cmd>", "a shell command run in the guest while the patch is active; must exit 0")
    .option(
      "--upgrade-from <old-ko>",
      "load this older patch first and check it, then load the new one over it (replace transition) and check again",
    )
    .option("--transition-timeout <seconds>", "how long each transition may take", "60")
    .option("--kvm", "try KVM first (falls back to TCG emulation)")
    .option("--json", "print the report as JSON")
    .addHelpText(
      "after",
      `
Exit status: 0 when every step passed, 1 otherwise (the failed step and why are on stderr).
Several modules are each verified in a VM of the target named in their vermagic, which must be
one of the --target options; the check runs in every VM.
${examples(
  "hotpatch verify af_unix.ko --check ./af_unix-siocatmark",
  "hotpatch verify hp_cmdline.ko --check \"grep -q ' hotpatched$' /proc/cmdline\"",
  "hotpatch verify hp_0104.ko --upgrade-from hp_01.ko --check ./af_unix-siocatmark",
  "hotpatch verify --target debian:6.1.0-50-amd64 --target debian:6.12.107+deb12-amd64 out/*.ko",
)}`,
    )
    .action(async (kos, options) => {
      const limit = Number(options.transitionTimeout);
      if (!Number.isInteger(limit) || limit <= 0)
        throw new UserError("--transition-timeout wants a whole number of seconds.");
      // Bad input is reported before any target or VM work.
      for (const ko of kos) checkUserFile(ko, "a kernel module");
      if (options.upgradeFrom) checkUserFile(options.upgradeFrom, "a kernel module");
      const targets = targetsFrom(options.target);
      const verifyOptions = { check: options.check, transitionTimeoutSec: limit, kvm: options.kvm };
      if (kos.length === 1 && targets.length === 1) {
        const [ko, target] = [kos[0] as string, targets[0] as TargetId];
        checkBuiltFor(ko, target.release, targetName(target));
        if (options.upgradeFrom) {
          checkBuiltFor(options.upgradeFrom, target.release, targetName(target));
          checkUpgrade(ko, options.upgradeFrom);
        }
        const report = await verifyModule(await prepareTarget(target), ko, {
          ...verifyOptions,
          upgradeFrom: options.upgradeFrom,
        });
        emit(options, report, renderVerifyReport);
        // With --json too: the report is on stdout, the sentence on stderr.
        if (!report.ok) throw new UserError(`Verification of ${report.patch} failed: ${report.failure}`);
        return;
      }
      if (options.upgradeFrom)
        throw new UserError(
          "--upgrade-from verifies one module on one target: give one module and one --target.",
        );
      const results: Array<{ target: string; report: VerifyReport }> = [];
      for (const { ko, target } of pairModules(kos, targets)) {
        const report = await verifyModule(await prepareTarget(target), ko, verifyOptions);
        results.push({ target: targetName(target), report });
      }
      emit(options, { results }, ({ results: list }) =>
        list.map((r) => `== ${r.target}\n${renderVerifyReport(r.report)}`).join("\n\n"),
      );
      const failed = results.filter((r) => !r.report.ok);
      if (failed.length > 0)
        throw new UserError(
          `Verification failed on ${failed.length} of ${results.length} targets: ${failed.map((r) => `${r.target} (${r.report.failure})`).join("; ")}.`,
        );
    });
}
