// SPDX-License-Identifier: GPL-2.0-only
// What kind of kernel a target is, for the steps whose work differs between Debian 12's two
// kernel families (6.1 and the 6.12 backports): read from the prepared tree's own .config and
// source, never from the version number, so a target is described by what it was built with.
//
//                                   6.1.0-N-amd64     6.12.X+deb12-amd64
//   CONFIG_X86_KERNEL_IBT           n                 y   (ENDBR64 at function entries)
//   objtool runs on                 every object      vmlinux.o and each module's link
//   CONFIG_CALL_PADDING             n                 y   (16 bytes of NOP before functions)
//   klp relocations cleared when    no (6.3+)         yes
//     their module unloads
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { TargetPaths } from "./target-layout.ts";
import { parseKconfig } from "./units.ts";

export interface KernelFamily {
  /** CONFIG_X86_KERNEL_IBT: every function that can be reached through a pointer must start with
   * ENDBR64, or an indirect call to it faults on CET hardware (QEMU's TCG does not enforce it). */
  ibt: boolean;
  /**
   * objtool runs once on vmlinux.o and on each module's final link, not on every object
   * (scripts/Makefile.lib: `delay-objtool := $(or $(CONFIG_LTO_CLANG),$(CONFIG_X86_KERNEL_IBT))`).
   * A compiled unit then carries none of objtool's sections (ORC, return and retpoline sites,
   * ENDBR seals) and still has the `jmp` at each jump label that objtool turns into a NOP in the
   * running kernel; the livepatch module's own link runs objtool over the patch objects.
   */
  delayedObjtool: boolean;
  /** Bytes of NOP padding gcc puts before each function (CONFIG_CALL_PADDING), else 0. */
  functionPadding: number;
  /**
   * x86's module loader clears a module's klp relocations when it unloads (clear_relocate_add,
   * upstream 0c05e7bd2d01, Linux 6.3): without it, a patched module that is removed and loaded
   * again while the livepatch stays fails to load.
   */
  klpRelocationsClearedOnUnload: boolean;
  /**
   * Every livepatch transition rewrites all `call __SCT__cond_resched` sites twice (to
   * klp_cond_resched and back: sched_dynamic_klp_enable(), Linux 6.4+ with PREEMPT_DYNAMIC).
   * Under QEMU 7.2's multi-threaded TCG that int3-based patching races with the other vCPU
   * (an unhandled int3 oops in rcu_gp_fqs_loop was seen in about 1 verify run in 60), so the
   * VM of such a kernel gets one vCPU (src/vm/index.ts runInTargetVm).
   */
  transitionsRewriteCondResched: boolean;
}

/** The family of a configuration (`.config` text), its x86 module loader and scheduler source. */
export function familyOf(
  config: Map<string, string>,
  moduleLoaderSource: string,
  schedulerSource = "",
): KernelFamily {
  const on = (name: string) => config.get(name) === "y";
  const ibt = on("CONFIG_X86_KERNEL_IBT");
  return {
    ibt,
    delayedObjtool: ibt || on("CONFIG_LTO_CLANG"),
    functionPadding: on("CONFIG_CALL_PADDING")
      ? Number.parseInt(config.get("CONFIG_FUNCTION_PADDING_BYTES") ?? "0", 10) || 0
      : 0,
    klpRelocationsClearedOnUnload: /\bclear_relocate_add\s*\(/.test(moduleLoaderSource),
    transitionsRewriteCondResched:
      on("CONFIG_PREEMPT_DYNAMIC") && /\bsched_dynamic_klp_enable\s*\(/.test(schedulerSource),
  };
}

const cache = new Map<string, KernelFamily>();

/** The family of a prepared target (read once per process). */
export function targetFamily(paths: TargetPaths): KernelFamily {
  let family = cache.get(paths.tree);
  if (!family) {
    const source = (...path: string[]) => {
      const file = join(paths.tree, ...path);
      return existsSync(file) ? readFileSync(file, "utf8") : "";
    };
    family = familyOf(
      parseKconfig(readFileSync(join(paths.tree, ".config"), "utf8")),
      source("arch", "x86", "kernel", "module.c"),
      source("kernel", "sched", "core.c"),
    );
    cache.set(paths.tree, family);
  }
  return family;
}
