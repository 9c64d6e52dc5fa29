// SPDX-License-Identifier: GPL-2.0-only
// Renders an ElfDump as text laid out like `readelf -W` (section headers, groups, symbol
// table, relocations), so people can compare the two side by side.
import type { DumpRelocation, ElfDump } from "./dump.ts";

function hex(value: bigint | number, width: number): string {
  return value.toString(16).padStart(width, "0");
}

function columns(rows: string[][], rightAligned: ReadonlySet<number> = new Set()): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) =>
        i === row.length - 1
          ? cell
          : rightAligned.has(i)
            ? cell.padStart(widths[i] ?? 0)
            : cell.padEnd(widths[i] ?? 0),
      )
      .join(" ")
      .trimEnd(),
  );
}

function renderSections(dump: ElfDump): string[] {
  const rows = [["[Nr]", "Name", "Type", "Address", "Off", "Size", "ES", "Flg", "Lk", "Inf", "Al"]];
  for (const s of dump.sections) {
    rows.push([
      `[${String(s.index).padStart(2)}]`,
      s.name,
      s.type,
      hex(s.addr, 16),
      hex(s.offset, 6),
      hex(s.size, 6),
      hex(s.entsize, 2),
      s.flags,
      String(s.link),
      String(s.info),
      String(s.addralign),
    ]);
  }
  return ["Section Headers:", ...columns(rows, new Set([7, 8, 9, 10])).map((l) => `  ${l}`)];
}

function renderGroups(dump: ElfDump): string[] {
  const lines: string[] = [];
  for (const g of dump.groups) {
    lines.push(
      "",
      `${g.comdat ? "COMDAT " : ""}group section '${g.section}' [${g.signature}] contains ${g.members.length} sections:`,
    );
    for (const m of g.members) lines.push(`   ${m}`);
  }
  return lines;
}

function renderSymbols(dump: ElfDump): string[] {
  if (dump.symbols.length === 0) return [];
  const rows = [["Num:", "Value", "Size", "Type", "Bind", "Vis", "Ndx", "Name"]];
  for (const s of dump.symbols) {
    rows.push([
      `${s.index}:`,
      hex(s.value, 16),
      String(s.size),
      s.type,
      s.bind,
      s.visibility,
      s.section,
      // Like readelf: a section symbol (nameless) is shown by its section's name.
      s.name === "" && s.type === "SECTION" ? s.section : s.name,
    ]);
  }
  return [
    "",
    `Symbols (${dump.symbols.length} entries):`,
    ...columns(rows, new Set([0, 2])).map((l) => `  ${l}`),
  ];
}

function formatAddend(addend: bigint): string {
  return addend < 0n ? `- ${(-addend).toString(16)}` : `+ ${addend.toString(16)}`;
}

function renderRelocations(dump: ElfDump): string[] {
  const bySection = new Map<string, DumpRelocation[]>();
  for (const r of dump.relocations) {
    const list = bySection.get(r.relocationSection) ?? [];
    list.push(r);
    bySection.set(r.relocationSection, list);
  }
  const lines: string[] = [];
  for (const [name, relocations] of bySection) {
    lines.push(
      "",
      `Relocation section '${name}' contains ${relocations.length} ${relocations.length === 1 ? "entry" : "entries"}:`,
    );
    const rows = [["Offset", "Type", "Symbol + Addend"]];
    for (const r of relocations)
      rows.push([hex(r.offset, 16), r.type, `${r.symbol} ${formatAddend(r.addend)}`]);
    lines.push(...columns(rows).map((l) => `  ${l}`));
  }
  return lines;
}

export function renderDump(dump: ElfDump): string {
  return [
    ...renderSections(dump),
    ...renderGroups(dump),
    ...renderSymbols(dump),
    ...renderRelocations(dump),
  ].join("\n");
}
