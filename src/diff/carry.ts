// SPDX-License-Identifier: GPL-2.0-only
// Can the included functions' special-section entries travel into a livepatch module?
// Refuses what the module loader cannot process correctly, with the entry's function.
import { relocsIn } from "./model.ts";
import { resolveTarget } from "./resolve.ts";
import type { SpecialTables } from "./special-sections.ts";
import type { DiffOptions, Refusal } from "./types.ts";
import type { FuncUnit } from "./units.ts";
import { specialEntry } from "./verdicts.ts";

/** Keys whose sites are harmless when inert: tracepoints and dynamic debug. */
function isInertKey(name: string, section: string | undefined): boolean {
  return (
    name.startsWith("__tracepoint_") ||
    name.startsWith("__SCK__tp_func_") ||
    section === "__dyndbg" ||
    section === "__verbose" ||
    name.includes("__UNIQUE_ID_ddebug")
  );
}

export function checkSpecialEntries(
  included: Set<FuncUnit>,
  tables: SpecialTables,
  options: DiffOptions,
): Refusal[] {
  const out: Refusal[] = [];
  for (const e of tables.unowned) {
    if (e.size !== 0) continue;
    // Entries could not be delimited; only a problem if they point into included code.
    const touches = e.sec.relocs.some((r) => {
      const t = resolveTarget(e.sec, r);
      return t.kind === "symbol" && [...included].some((u) => u.sym === t.sym);
    });
    if (touches)
      out.push(
        specialEntry(
          e.sec.name,
          `cannot split ${e.sec.name} into entries (size ${e.sec.size} fits no known entry size): its entries for the patched functions cannot be carried`,
        ),
      );
  }
  if (options.objectKind !== "module") return out;
  for (const u of included) {
    for (const e of tables.byFunc.get(u) ?? []) {
      if (e.kind.name !== "__jump_table" && e.kind.name !== ".static_call_sites") continue;
      const keyField = e.kind.name === "__jump_table" ? 8 : 4;
      const key = relocsIn(e.sec, e.offset + keyField, e.offset + e.size)[0];
      if (!key) continue;
      const t = resolveTarget(e.sec, key);
      if (t.kind !== "symbol") continue;
      if (isInertKey(t.sym.name, t.sym.section?.name)) continue;
      out.push(
        specialEntry(
          u.sym.name,
          `${u.sym.name} uses ${e.kind.name === "__jump_table" ? "a jump label" : "a static call"} on ${t.sym.name}, which this module defines: the livepatch would initialise it before its klp relocations to the module are applied`,
        ),
      );
    }
  }
  return out;
}
