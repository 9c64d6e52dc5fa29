// SPDX-License-Identifier: GPL-2.0-only
// Module.symvers of the target: which symbols are exported (and by whom). A livepatch may
// reference an exported symbol with an ordinary relocation; everything else needs a klp
// relocation resolved by the kernel at load time.
import { readFileSync } from "node:fs";

export interface ExportedSymbol {
  name: string;
  crc: number;
  /** "vmlinux" or the exporting module's path without .ko, e.g. `net/sctp/sctp`. */
  module: string;
  /** EXPORT_SYMBOL or EXPORT_SYMBOL_GPL. */
  exportType: string;
  /** Symbol namespace ("" for none). */
  namespace: string;
}

export class Symvers {
  private readonly exports = new Map<string, ExportedSymbol>();

  constructor(entries: Iterable<ExportedSymbol>) {
    for (const entry of entries) this.exports.set(entry.name, entry);
  }

  isExported(name: string): boolean {
    return this.exports.has(name);
  }

  lookup(name: string): ExportedSymbol | undefined {
    return this.exports.get(name);
  }

  get size(): number {
    return this.exports.size;
  }

  /** The klp object name of the exporter: "vmlinux" or the module's basename with '_'. */
  exporterObject(name: string): string | undefined {
    const entry = this.exports.get(name);
    if (!entry) return undefined;
    if (entry.module === "vmlinux") return "vmlinux";
    return (entry.module.split("/").pop() ?? entry.module).replaceAll("-", "_");
  }
}

/** Parses `crc<TAB>symbol<TAB>module<TAB>export type<TAB>namespace` lines. */
export function parseSymvers(text: string): Symvers {
  const entries: ExportedSymbol[] = [];
  let lineNo = 0;
  for (const line of text.split("\n")) {
    lineNo++;
    if (line.trim() === "") continue;
    const fields = line.split("\t");
    const [crc, name, module, exportType, namespace = ""] = fields;
    if (!crc || !name || !module || !exportType || !/^0x[0-9a-fA-F]+$/.test(crc)) {
      throw new Error(`Module.symvers line ${lineNo} is malformed: ${JSON.stringify(line.slice(0, 80))}`);
    }
    entries.push({ name, crc: Number.parseInt(crc, 16), module, exportType, namespace });
  }
  return new Symvers(entries);
}

const cache = new Map<string, Symvers>();

export function loadSymvers(path: string): Symvers {
  let parsed = cache.get(path);
  if (!parsed) {
    parsed = parseSymvers(readFileSync(path, "utf8"));
    cache.set(path, parsed);
  }
  return parsed;
}
