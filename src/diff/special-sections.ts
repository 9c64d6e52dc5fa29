// SPDX-License-Identifier: GPL-2.0-only
// Special sections: tables of fixed-size entries that point into code (bug table, jump labels,
// exception table, alternatives, static calls, paravirt sites, lock prefixes, retpoline/return
// thunk sites, mcount locations, ORC unwind data, printk index). Each entry belongs to the
// function whose code its first code-pointing relocation lands in; the module generator must
// carry exactly the entries of the functions it includes.
import { type DiffObject, type DSection, relocsIn } from "./model.ts";
import { isText, STT_OBJECT } from "./predicates.ts";
import { resolveTarget, stringAt } from "./resolve.ts";
import type { FuncUnit, ObjectUnits } from "./units.ts";

export interface SpecialKind {
  name: string;
  /** Entry sizes seen in kernels, most likely first; the section tells which one fits. */
  sizes: number[];
  /** kpatch's environment variable for the size (the unit-test corpus sets some). */
  env?: string;
  /** Compare entries when deciding whether a function changed (false: derived from code). */
  compare: boolean;
  /** Byte range of a `__LINE__` field, ignored in comparisons but reported. */
  line?: { offset: number; size: number };
  /** Relocations every entry has (tells 16-byte from 24-byte jump entries apart). */
  relocsPerEntry?: number;
}

export const specialKinds: SpecialKind[] = [
  {
    name: "__bug_table",
    sizes: [12, 16, 8, 24],
    env: "BUG_STRUCT_SIZE",
    compare: true,
    line: { offset: 8, size: 2 },
  },
  { name: "__jump_table", sizes: [16, 24], env: "JUMP_STRUCT_SIZE", compare: true, relocsPerEntry: 3 },
  { name: "__ex_table", sizes: [12, 8, 16], env: "EX_STRUCT_SIZE", compare: true },
  { name: ".altinstructions", sizes: [12, 13, 14, 16], env: "ALT_STRUCT_SIZE", compare: true },
  { name: ".parainstructions", sizes: [16, 24, 12], env: "PARA_STRUCT_SIZE", compare: true },
  { name: ".static_call_sites", sizes: [8], env: "STATIC_CALL_STRUCT_SIZE", compare: true },
  { name: ".printk_index", sizes: [8], compare: false },
  { name: ".smp_locks", sizes: [4], compare: false },
  { name: ".retpoline_sites", sizes: [4], compare: false },
  { name: ".return_sites", sizes: [4], compare: false },
  { name: ".call_sites", sizes: [4], compare: false },
  { name: ".ibt_endbr_seal", sizes: [4], compare: false },
  { name: ".kcfi_traps", sizes: [4], compare: false },
  { name: "__mcount_loc", sizes: [8], compare: false },
  { name: "__patchable_function_entries", sizes: [8], compare: false },
  { name: ".orc_unwind_ip", sizes: [4], compare: false },
  { name: ".orc_unwind", sizes: [6], compare: false },
];

export const specialKindByName = new Map(specialKinds.map((k) => [k.name, k]));

export interface Entry {
  kind: SpecialKind;
  sec: DSection;
  offset: number;
  size: number;
  owner?: FuncUnit;
}

export interface SpecialTables {
  /** Entries by owning function. */
  byFunc: Map<FuncUnit, Entry[]>;
  /** Entries no function owns (or whose size could not be determined: size 0). */
  unowned: Entry[];
  /** Section name -> entry size used. */
  sizes: Map<string, number>;
}

function inEntryOffsets(sec: DSection, size: number, k: number): number[] {
  return relocsIn(sec, k * size, (k + 1) * size).map((r) => r.offset - k * size);
}

/**
 * Strict fit: the size divides the section and every entry has relocations at the same
 * in-entry offsets (at least `minRelocs` of them).
 */
function fitsStrictly(sec: DSection, size: number, minRelocs: number): boolean {
  if (sec.size % size !== 0) return false;
  if (sec.relocs.length === 0) return true;
  const first = inEntryOffsets(sec, size, 0).join(",");
  if (first.split(",").length < minRelocs) return false;
  for (let k = 1; k < sec.size / size; k++)
    if (inEntryOffsets(sec, size, k).join(",") !== first) return false;
  return true;
}

/**
 * Loose fit: every entry's first field points somewhere (a relocation at in-entry offset 0);
 * the last entry may lack its tail padding (e.g. .parainstructions: 16-byte entries, 12 in the last).
 */
function fitsLoosely(sec: DSection, size: number, minRelocs: number): boolean {
  const count = Math.ceil(sec.size / size);
  if (sec.relocs.length === 0 || count * size - sec.size >= 8) return false;
  for (let k = 0; k < count; k++) {
    const offsets = inEntryOffsets(sec, size, k);
    if (offsets[0] !== 0 || offsets.length < Math.min(minRelocs, 1)) return false;
  }
  return true;
}

export function entrySize(sec: DSection, kind: SpecialKind, overrides: Record<string, number>): number {
  const forced = overrides[kind.name] ?? (kind.env ? overrides[kind.env] : undefined);
  if (forced !== undefined) return forced;
  if (sec.entsize > 0 && sec.size % sec.entsize === 0) return sec.entsize;
  const min = kind.relocsPerEntry ?? 1;
  for (const size of kind.sizes) if (fitsStrictly(sec, size, min)) return size;
  for (const size of kind.sizes) if (fitsLoosely(sec, size, min)) return size;
  return 0;
}

/** The function whose code the entry points to: the first relocation that lands in code. */
function ownerOf(units: ObjectUnits, sec: DSection, offset: number, size: number): FuncUnit | undefined {
  for (const r of relocsIn(sec, offset, offset + size)) {
    const t = resolveTarget(sec, r);
    if (t.kind !== "symbol" || !isText(t.sym.section)) continue;
    const unit = units.funcBySym.get(t.sym);
    if (unit) return unit;
  }
  return undefined;
}

/** printk index entries point to a `_entry` object whose `func` field is the `__func__` string. */
function printkIndexOwner(units: ObjectUnits, sec: DSection, offset: number): FuncUnit | undefined {
  const [ptr] = relocsIn(sec, offset, offset + 8);
  if (!ptr) return undefined;
  const t = resolveTarget(sec, ptr);
  if (t.kind !== "symbol" || t.sym.type !== STT_OBJECT || !t.sym.section) return undefined;
  for (const r of relocsIn(t.sym.section, t.sym.value, t.sym.value + t.sym.size)) {
    const f = resolveTarget(t.sym.section, r);
    if (f.kind === "symbol" && f.sym.name.startsWith("__func__") && f.sym.section) {
      const name = stringAt(f.sym.section, f.sym.value);
      return units.funcByName.get(name);
    }
  }
  return undefined;
}

/** `onlyCompared`: just the kinds compared for change detection (enough for the original). */
export function specialTables(
  units: ObjectUnits,
  overrides: Record<string, number>,
  onlyCompared = false,
): SpecialTables {
  const obj: DiffObject = units.obj;
  const byFunc = new Map<FuncUnit, Entry[]>();
  const unowned: Entry[] = [];
  const sizes = new Map<string, number>();
  const ipOwners: (FuncUnit | undefined)[] = [];
  const add = (e: Entry) => {
    if (!e.owner) return unowned.push(e);
    const list = byFunc.get(e.owner);
    if (list) list.push(e);
    else byFunc.set(e.owner, [e]);
  };
  const ordered = [...obj.sections].sort(
    (a, b) => (a.name === ".orc_unwind" ? 1 : 0) - (b.name === ".orc_unwind" ? 1 : 0),
  );
  for (const sec of ordered) {
    const kind = specialKindByName.get(sec.name);
    if (!kind || sec.size === 0 || (onlyCompared && !kind.compare)) continue;
    const size = entrySize(sec, kind, overrides);
    sizes.set(sec.name, size);
    if (size === 0) {
      unowned.push({ kind, sec, offset: 0, size: 0 });
      continue;
    }
    for (let offset = 0, k = 0; offset < sec.size; offset += size, k++) {
      let owner: FuncUnit | undefined;
      if (kind.name === ".orc_unwind") owner = ipOwners[k];
      else if (kind.name === ".printk_index") owner = printkIndexOwner(units, sec, offset);
      else owner = ownerOf(units, sec, offset, size);
      if (kind.name === ".orc_unwind_ip") ipOwners[k] = owner ?? orcEndOwner(units, sec, offset);
      add({
        kind,
        sec,
        offset,
        size: Math.min(size, sec.size - offset),
        owner: kind.name === ".orc_unwind_ip" ? ipOwners[k] : owner,
      });
    }
  }
  return { byFunc, unowned, sizes };
}

/** ORC has a terminating entry at the end of each function's code: give it to that function. */
function orcEndOwner(units: ObjectUnits, sec: DSection, offset: number): FuncUnit | undefined {
  const [r] = relocsIn(sec, offset, offset + 4);
  if (!r?.symbol.section) return undefined;
  const target = r.symbol.value + r.addend;
  return units.funcs.find((u) => u.sec === r.symbol.section && u.end === target);
}
