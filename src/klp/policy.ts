// SPDX-License-Identifier: GPL-2.0-only
// Decides, for each symbol an included function refers to, whether the patch carries its own
// copy (new data, string literals, per-site statics) or uses the running kernel's, and how it
// reaches the kernel's: an exported name (ordinary relocation) or a klp relocation with the
// sympos that run-pre matching established.
import type { DiffResult, SymbolReference } from "../diff/index.ts";
import { type ElfSymbol, SHF, STB, STT } from "../elf/index.ts";
import { UserError } from "../errors/user-error.ts";
import type { UnitBuild } from "../kernel/build-types.ts";
import type { UnitMatch } from "../kernel/match.ts";
import type { Symvers } from "../kernel/symvers.ts";
import type { ReferencePolicy } from "./extract.ts";
import { isFreshStatic } from "./special.ts";
import type { KernelTarget } from "./types.ts";

export interface PolicyContext {
  diff: DiffResult;
  unit: UnitBuild;
  match: UnitMatch;
  symvers: Symvers;
  /** Namespaces of the exported symbols used (the stub imports them). */
  namespaces: Set<string>;
  /** New functions other units of the patch define: name -> the alias they export. */
  otherUnits?: ReadonlyMap<string, string>;
}

export function makePolicy(ctx: PolicyContext): ReferencePolicy {
  const refs = new Map<string, SymbolReference>();
  for (const r of ctx.diff.references) refs.set(r.name, r);
  const statics = new Map(ctx.diff.staticLocals.map((m) => [m.patched, m.orig]));
  const kernelName = (sym: ElfSymbol): string =>
    refs.get(sym.name)?.origName ?? statics.get(sym.name) ?? sym.name;
  const refOf = (sym: ElfSymbol): SymbolReference | undefined =>
    refs.get(sym.name || (sym.definedIn?.name ?? ""));
  return {
    copy(sym) {
      const ref = refOf(sym);
      if (ref && (ref.kind === "new-data" || ref.kind === "new-rodata")) return true;
      if (ref && (ref.kind === "local" || ref.kind === "global")) return false;
      if (sym.type === STT.SECTION || isFreshStatic(sym.name)) return true;
      const sec = sym.definedIn;
      // A data symbol the running kernel does not have is new data the fix added.
      if (sec && !(sec.flags & SHF.EXECINSTR) && ctx.match.resolve(kernelName(sym)) === undefined)
        return true;
      return false;
    },
    resolve(sym): KernelTarget {
      const name = kernelName(sym);
      const inPatch = sym.bind !== STB.LOCAL ? ctx.otherUnits?.get(name) : undefined;
      // The patch's own new copy, linked inside the livepatch module.
      if (inPatch) return { kind: "export", name: inPatch };
      if (sym.bind !== STB.LOCAL) {
        const exp = ctx.symvers.lookup(name);
        const exporter = ctx.symvers.exporterObject(name);
        // Only vmlinux's exports are ordinary references. A module's exports (the patched
        // module's own, or another module's that it depends on) go through klp relocations
        // applied when the patched module loads: an ordinary reference would make the livepatch
        // depend on those modules, so loading it would fail (insmod: "Unknown symbol") or
        // force-load them while the module it patches is not even loaded.
        if (exp && (ctx.unit.klpObject === "vmlinux" || exporter === "vmlinux")) {
          if (exp.namespace) ctx.namespaces.add(exp.namespace);
          return { kind: "export", name };
        }
        if (exp && exporter && exporter !== ctx.unit.klpObject) {
          // Exported names are global and unique in their module: sympos 0.
          return { kind: "klp", objName: exporter, name, sympos: 0 };
        }
      }
      const found = ctx.match.resolve(name);
      if (!found) {
        throw new UserError(
          `${ctx.unit.source}: the patch refers to '${name}', which the running kernel (${ctx.unit.klpObject}) does not have.`,
        );
      }
      return { kind: "klp", objName: found.klpObject, name: found.name, sympos: found.sympos };
    },
  };
}
