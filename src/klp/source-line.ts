// SPDX-License-Identifier: GPL-2.0-only
// Where a refused symbol is defined in the fixed source, for `file:line` in refusal reports:
// the first top-level line that declares the name (a function, a variable or a table). The
// objects carry DWARF, but a definition line is all a report needs.
import { existsSync, readFileSync } from "node:fs";

/** The 1-based line defining `symbol` in `file`, or undefined. */
export function definitionLine(file: string, symbol: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const name = symbol.replace(/\.(isra|constprop|part|cold|lto_priv)(\.\d+)?$/g, "").replace(/\.\d+$/, "");
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return undefined;
  const defines = new RegExp(`^[A-Za-z_].*\\b${name}\\b\\s*(\\(|\\[|=|;|__)`);
  const lines = readFileSync(file, "utf8").split("\n");
  const at = lines.findIndex((l) => defines.test(l) && !l.trimEnd().endsWith(");"));
  return at < 0 ? undefined : at + 1;
}
