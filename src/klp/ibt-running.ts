// SPDX-License-Identifier: GPL-2.0-only
// The running kernel's functions as IBT sees them: whether a function starts with ENDBR64,
// and whether the kernel seals that ENDBR when it boots (vmlinux) or loads the module (a
// module's own `.ibt_endbr_seal`). vmlinux's seal list is the `.ibt_endbr_seal` table between
// the `__ibt_endbr_seal` and `__ibt_endbr_seal_end` symbols (arch/x86/kernel/vmlinux.lds.S),
// read from the extracted image at their kallsyms addresses; each entry is `.long func - .`.
// apply_seal_endbr() overwrites every listed ENDBR unconditionally (not only on IBT CPUs).
import { type ElfObject, readElf, STT } from "../elf/index.ts";
import { targetFamily } from "../kernel/family.ts";
import { type KernelImage, loadKernelImage } from "../kernel/image.ts";
import { isTextType, type Kallsyms, loadKallsyms } from "../kernel/kallsyms.ts";
import { moduleKallsyms } from "../kernel/match.ts";
import type { TargetPaths } from "../kernel/target-layout.ts";
import { readTargetModule } from "../kernel/target-modules.ts";
import { moduleFileOf } from "../kernel/units.ts";
import {
  describeIbtViolation,
  ibtViolations,
  type RunningFunctionRef,
  type RunningFunctions,
  sealedOffsets,
  startsWithEndbr,
} from "./ibt-check.ts";

/** Addresses whose ENDBR64 vmlinux seals at boot. */
export function vmlinuxSealed(kallsyms: Kallsyms, image: KernelImage): Set<bigint> {
  const start = kallsyms.named("__ibt_endbr_seal")[0]?.address;
  const end = kallsyms.named("__ibt_endbr_seal_end")[0]?.address;
  const sealed = new Set<bigint>();
  if (start === undefined || end === undefined || end <= start) return sealed;
  const table = image.read(start, Number(end - start));
  if (!table) return sealed;
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  for (let at = 0; at + 4 <= table.length; at += 4) {
    sealed.add(start + BigInt(at) + BigInt(view.getInt32(at, true)));
  }
  return sealed;
}

type EntryState = { endbr: boolean; sealed: boolean } | undefined;

/** A module's function by name and sympos (its kallsyms order), with its IBT state. */
function moduleEntry(ko: ElfObject, name: string, sympos: number): EntryState {
  const same = moduleKallsyms(ko).filter((s) => s.name === name);
  const symbol = same.length === 1 && sympos === 0 ? same[0] : same[sympos - 1];
  const section = symbol?.definedIn;
  if (!symbol || !section || symbol.type !== STT.FUNC) return undefined;
  const at = Number(symbol.value);
  return {
    endbr: startsWithEndbr(section.data, at),
    sealed: sealedOffsets(ko).get(section)?.has(at) ?? false,
  };
}

/** The target's functions (vmlinux from its image, modules from their .ko) for the IBT check. */
export function runningFunctions(paths: TargetPaths): RunningFunctions {
  const kallsyms = loadKallsyms(paths.kallsyms);
  const image = loadKernelImage(paths.vmlinux);
  let sealed: Set<bigint> | undefined;
  const modules = new Map<string, ElfObject | undefined>();
  const moduleObject = (name: string): ElfObject | undefined => {
    if (!modules.has(name)) {
      const file = moduleFileOf(paths.modulesDir, name);
      modules.set(name, file ? readElf(readTargetModule(paths, file)) : undefined);
    }
    return modules.get(name);
  };
  return {
    entry(ref: RunningFunctionRef): EntryState {
      if (ref.objName !== "vmlinux") {
        const ko = moduleObject(ref.objName);
        return ko ? moduleEntry(ko, ref.name, ref.sympos) : undefined;
      }
      const named = kallsyms.named(ref.name);
      const candidates = ref.sympos > 0 ? [named[ref.sympos - 1]] : named.filter((e) => isTextType(e.type));
      // sympos 0: a unique name, or an export (the one global symbol of that name).
      const entry =
        candidates.length === 1 ? candidates[0] : candidates.find((e) => e?.type === e?.type.toUpperCase());
      if (!entry || !isTextType(entry.type)) return undefined;
      const bytes = image.read(entry.address, 4);
      if (!bytes) return undefined;
      sealed ??= vmlinuxSealed(kallsyms, image);
      return { endbr: startsWithEndbr(bytes, 0), sealed: sealed.has(entry.address) };
    },
  };
}

/**
 * The IBT check of a linked livepatch module for `paths`' kernel: one refusal per function
 * reached through a pointer without a usable ENDBR64; none when the kernel is built without
 * CONFIG_X86_KERNEL_IBT.
 */
export function ibtRefusals(
  paths: TargetPaths,
  ko: ElfObject,
): Array<{ unit: string; name: string; kind: "ibt"; reason: string }> {
  if (!targetFamily(paths).ibt) return [];
  return ibtViolations(ko, runningFunctions(paths)).map((v) => ({
    unit: "(the linked module)",
    name: v.function,
    kind: "ibt" as const,
    reason: describeIbtViolation(v),
  }));
}
