// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch install M.ko` / `hotpatch uninstall NAME`: the store that the boot unit loads
// from (/var/lib/hotpatch/<kernel release>/). Installing does not load; see `hotpatch load`.
import type { Command } from "@commander-js/extra-typings";
import {
  describeDropped,
  type InstallResult,
  installPatch,
  runtimeEnv,
  uninstallPatch,
  withRuntimeLock,
} from "../../runtime/index.ts";
import { examples } from "../help.ts";
import { emit } from "../output.ts";

function renderInstall(i: InstallResult): string {
  const lines = [
    `installed ${i.name} for kernel ${i.release} (${i.replace} mode) at ${i.path}; it loads at boot when that kernel runs`,
  ];
  if (i.fixes) lines.push(`fixes carried: ${i.fixes.map((f) => f.fix).join(", ")}`);
  if (i.dropped.length)
    lines.push(`at boot it drops (--allow-drop): ${describeDropped(i.dropped, "installed patch")}`);
  return lines.join("\n");
}

export function registerInstall(program: Command): void {
  program
    .command("install")
    .description("Install a livepatch so it is loaded at every boot of its kernel (root)")
    .argument("<module>", "the livepatch .ko file")
    .option(
      "--allow-drop",
      "install a cumulative patch even if at boot it retires an installed patch carrying a fix it does not carry",
    )
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      `
The module is stored under /var/lib/hotpatch/<the kernel release it was built for>/ and loaded at
boot by 'hotpatch load --all' (packaging/systemd/hotpatch.service; see docs/operating.md).
Installing does not load it now: see 'hotpatch load'.
${examples("hotpatch install ./af_unix.ko", "hotpatch install ./af_unix.ko --json")}`,
    )
    .action(async (module, opts) => {
      const env = runtimeEnv();
      const allowDrop = opts.allowDrop ?? false;
      emit(
        opts,
        await withRuntimeLock(env, async () => installPatch(env, module, { allowDrop })),
        renderInstall,
      );
    });
}

export function registerUninstall(program: Command): void {
  program
    .command("uninstall")
    .description("Remove an installed livepatch from the boot store; does not unload it (root)")
    .argument("<name>", "the patch (module) name")
    .option("--release <release>", "only for this kernel release (default: every release)")
    .option("--json", "print the result as JSON")
    .addHelpText("after", examples("hotpatch uninstall hp_af_unix_siocatmark --release 6.1.0-50-amd64"))
    .action(async (name, opts) => {
      const env = runtimeEnv();
      const releases = await withRuntimeLock(env, async () => uninstallPatch(env, name, opts.release));
      emit(
        opts,
        { name, releases },
        (r) =>
          `uninstalled ${r.name} (kernel ${r.releases.join(", ")}); a loaded copy stays loaded until 'hotpatch unload ${r.name}'`,
      );
    });
}
