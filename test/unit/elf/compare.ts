// SPDX-License-Identifier: GPL-2.0-only
// Renders the ELF layer's model in the row shapes of helpers.ts' readelf parsers, so a test
// can assert that hotpatch sees exactly what readelf sees.
import assert from "node:assert/strict";
import { flagString, symbolDisplayName } from "../../../src/elf/dump.ts";
import {
  bindName,
  type ElfObject,
  relocTypeName,
  SHN,
  SHT,
  sectionTypeName,
  symbolTypeName,
  visibilityName,
} from "../../../src/elf/index.ts";
import { readelfRelocations, readelfSections, readelfSymbols } from "./helpers.ts";

function ndx(section: number): string {
  if (section === SHN.UNDEF) return "UND";
  if (section === SHN.ABS) return "ABS";
  if (section === SHN.COMMON) return "COM";
  return String(section);
}

function isOsSpecific(section: unknown): boolean {
  return typeof section === "number" && section >= 0xff20 && section <= 0xff3f;
}

export function modelSymbols(obj: ElfObject): string[][] {
  return obj.symbols.map((s) => [
    String(s.index),
    s.value.toString(16).padStart(16, "0"),
    s.size > 99999n ? `0x${s.size.toString(16)}` : s.size.toString(),
    symbolTypeName(s.type),
    bindName(s.bind),
    visibilityName(s.visibility),
    // readelf shows OS-specific indices (SHN_LIVEPATCH) as "OS" and puts the value before the name.
    isOsSpecific(s.section) ? "OS" : ndx(s.sectionIndex),
    isOsSpecific(s.section) ? `[0x${(s.section as number).toString(16)}] ${s.name}` : symbolDisplayName(s),
  ]);
}

export function modelSections(obj: ElfObject): string[][] {
  return obj.sections.map((s) => [
    String(s.index),
    s.name,
    // readelf 2.40 does not know LLVM's address-significance table by name.
    s.type === SHT.LLVM_ADDRSIG ? "LOOS+0xfff4c03" : sectionTypeName(s.type),
    s.offset.toString(16).padStart(6, "0"),
    s.contentSize.toString(16).padStart(6, "0"),
    s.entsize.toString(16).padStart(2, "0"),
    flagString(s.flags),
    String(s.link),
    String(s.info),
    String(s.addralign),
  ]);
}

export function modelRelocations(obj: ElfObject): string[][] {
  const rows: string[][] = [];
  for (const section of obj.sections) {
    for (const r of section.relocations ?? []) {
      const info = ((BigInt(r.symbol.index) << 32n) | BigInt(r.type)).toString(16).padStart(16, "0");
      const addend = r.addend < 0n ? `- ${(-r.addend).toString(16)}` : `+ ${r.addend.toString(16)}`;
      const name = r.symbol.index === 0 ? "" : symbolDisplayName(r.symbol);
      rows.push([
        section.name,
        r.offset.toString(16).padStart(16, "0"),
        info,
        relocTypeName(r.type),
        `${name} ${addend}`.trim(),
      ]);
    }
  }
  return rows;
}

/** Asserts that the model of `file` shows the same sections, symbols and relocations as readelf. */
export function assertSameAsReadelf(obj: ElfObject, file: string, label = file): void {
  assert.deepEqual(modelSections(obj), readelfSections(file), `${label} sections`);
  assert.deepEqual(modelSymbols(obj), readelfSymbols(file), `${label} symbols`);
  assert.deepEqual(modelRelocations(obj), readelfRelocations(file), `${label} relocations`);
}
