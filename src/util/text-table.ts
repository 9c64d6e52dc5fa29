// SPDX-License-Identifier: GPL-2.0-only
// Aligned text columns for reports. In util (not in the CLI) because libraries below the CLI,
// such as the differ's text report, render tables too and must not depend on the CLI.

/** Renders rows as aligned columns (first row is the header). */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  "),
    )
    .join("\n");
}
