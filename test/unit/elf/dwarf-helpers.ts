// SPDX-License-Identifier: GPL-2.0-only
// The DWARF reader's tests' view of a DIE tree, and binutils' view of the same object: every
// DIE as depth, offset, tag and name, from our reader and from `readelf --debug-dump=info`.
import { type Die, type DwarfInfo, tagName } from "../../../src/elf/dwarf/index.ts";
import { tool } from "./helpers.ts";

export function* walk(die: Die, depth = 0): Generator<[Die, number]> {
  yield [die, depth];
  for (const child of die.children) yield* walk(child, depth + 1);
}

export function* walkUp(die: Die): Generator<Die> {
  for (let d = die.parent; d !== null; d = d.parent) yield d;
}

/** Every DIE as readelf lists it: depth, offset, tag, and its name when it has one. */
export function readelfDies(path: string): string[] {
  const text = tool("readelf", ["--debug-dump=info", path]).stdout;
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const die = /^ <(\d+)><([0-9a-f]+)>: Abbrev Number: \d+ \((DW_TAG_\w+)\)/.exec(line);
    if (die) out.push(`${die[1]} ${Number.parseInt(die[2] as string, 16)} ${die[3]}`);
    const name =
      /^ {4}<[0-9a-f]+> +DW_AT_name *: (?:\(indirect (?:line )?string, offset: (?:0x)?[0-9a-f]+\): )?(.*)$/.exec(
        line,
      );
    if (name) out[out.length - 1] += ` ${(name[1] as string).trimEnd()}`;
  }
  return out;
}

export function ourDies(dwarf: DwarfInfo): string[] {
  const out: string[] = [];
  for (const unit of dwarf.units)
    if (unit.root)
      for (const [die, depth] of walk(unit.root))
        out.push(`${depth} ${die.offset} ${tagName(die.tag)}${die.name !== undefined ? ` ${die.name}` : ""}`);
  return out;
}
