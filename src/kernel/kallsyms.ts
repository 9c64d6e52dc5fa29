// SPDX-License-Identifier: GPL-2.0-only
// The target's /proc/kallsyms (captured with nokaslr, so addresses are link-time ones): every
// vmlinux symbol, local ones included, in address order. It answers "where is X" and "which
// same-named X is this" (sympos) without the 855 MB debuginfo package.
import { readFileSync } from "node:fs";

export interface KallsymsEntry {
  address: bigint;
  /** The type letter as printed: t/T text, d/D data, b/B bss, r/R rodata, w/W weak, ... */
  type: string;
  name: string;
  /** "vmlinux", or the module name in brackets on the line (underscore form as printed). */
  object: string;
  /** Position of this line among all lines of its object (0-based), i.e. kallsyms order. */
  order: number;
}

export class Kallsyms {
  /** vmlinux entries in file (= address) order. */
  readonly vmlinux: KallsymsEntry[] = [];
  /** Module entries per module, in file order (their symtab order). */
  readonly modules = new Map<string, KallsymsEntry[]>();
  private readonly byName = new Map<string, KallsymsEntry[]>();

  constructor(entries: Iterable<KallsymsEntry>) {
    for (const entry of entries) {
      const list = entry.object === "vmlinux" ? this.vmlinux : this.moduleList(entry.object);
      entry.order = list.length;
      list.push(entry);
      const named = this.byName.get(entry.name);
      if (named) named.push(entry);
      else this.byName.set(entry.name, [entry]);
    }
  }

  private moduleList(name: string): KallsymsEntry[] {
    let list = this.modules.get(name);
    if (!list) {
      list = [];
      this.modules.set(name, list);
    }
    return list;
  }

  /** Entries of that name in one object ("vmlinux" or a module), in kallsyms order. */
  named(name: string, object = "vmlinux"): KallsymsEntry[] {
    return (this.byName.get(name) ?? []).filter((e) => e.object === object);
  }

  /** Entries of that name in any object. */
  namedAnywhere(name: string): KallsymsEntry[] {
    return this.byName.get(name) ?? [];
  }

  /**
   * The sympos livepatch wants for `entry`: its 1-based position among the same-named symbols
   * of its object in kallsyms order, or 0 when the name is unique there
   * (kernel/livepatch/core.c klp_find_object_symbol counts every symbol of that name).
   */
  sympos(entry: KallsymsEntry): number {
    const same = this.named(entry.name, entry.object);
    if (same.length <= 1) return 0;
    return same.indexOf(entry) + 1;
  }

  /** vmlinux entries at exactly `address` (aliases share an address). */
  vmlinuxAt(address: bigint): KallsymsEntry[] {
    const list = this.vmlinux;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((list[mid] as KallsymsEntry).address < address) lo = mid + 1;
      else hi = mid;
    }
    const found: KallsymsEntry[] = [];
    for (let i = lo; i < list.length && (list[i] as KallsymsEntry).address === address; i++) {
      found.push(list[i] as KallsymsEntry);
    }
    return found;
  }

  /** Names of the vmlinux entries within `radius` lines of `entry` (its neighbourhood). */
  neighbourNames(entry: KallsymsEntry, radius: number): string[] {
    const list = entry.object === "vmlinux" ? this.vmlinux : (this.modules.get(entry.object) ?? []);
    return neighbours(list, entry.order, radius).map((e) => e.name);
  }
}

/** objtool's `__pfx_<fn>` symbols for the padding before each function (CONFIG_CALL_PADDING,
 * Linux 6.12): one per function, so they say nothing about which unit is nearby. */
export function isPaddingSymbol(name: string): boolean {
  return name.startsWith("__pfx_");
}

/** Up to `radius` entries on each side of list[at], not counting padding symbols. */
export function neighbours<T extends { name: string }>(list: readonly T[], at: number, radius: number): T[] {
  const found: T[] = [];
  for (const step of [-1, 1]) {
    let taken = 0;
    for (let i = at + step; i >= 0 && i < list.length && taken < radius; i += step) {
      const e = list[i] as T;
      if (isPaddingSymbol(e.name)) continue;
      found.push(e);
      taken++;
    }
  }
  return found;
}

/** Parses kallsyms text (`address type name [module]` per line). Bad lines are an Error. */
export function parseKallsyms(text: string): Kallsyms {
  const entries: KallsymsEntry[] = [];
  let lineNo = 0;
  for (const line of text.split("\n")) {
    lineNo++;
    if (line.trim() === "") continue;
    const match = /^([0-9a-fA-F]+)\s+(\S)\s+(\S+)(?:\s+\[(\S+)\])?\s*$/.exec(line);
    if (!match) throw new Error(`kallsyms line ${lineNo} is malformed: ${JSON.stringify(line.slice(0, 80))}`);
    const [, hex, type, name, module] = match as unknown as [
      string,
      string,
      string,
      string,
      string | undefined,
    ];
    entries.push({ address: BigInt(`0x${hex}`), type, name, object: module ?? "vmlinux", order: 0 });
  }
  return new Kallsyms(entries);
}

const cache = new Map<string, Kallsyms>();

/** Reads and parses a kallsyms file once per process. */
export function loadKallsyms(path: string): Kallsyms {
  let parsed = cache.get(path);
  if (!parsed) {
    parsed = parseKallsyms(readFileSync(path, "utf8"));
    cache.set(path, parsed);
  }
  return parsed;
}

/** True for the type letters of code symbols. */
export function isTextType(type: string): boolean {
  return type === "t" || type === "T" || type === "w" || type === "W";
}
