// SPDX-License-Identifier: GPL-2.0-only
// The debug sections of a relocatable object as a linker would see them: in an ET_REL object
// every offset from one debug section into another (DW_FORM_strp, line_strp, sec_offset,
// ref_addr, the unit header's abbreviation offset) and every address is 0 plus a RELA
// relocation against a section symbol. Here each section's bytes are copied and those
// relocations applied, so the reader sees final offsets. Sections of one name that appear
// several times (COMDAT type units) are laid end to end, as `ld -r` would do it.
import { inflateSync } from "node:zlib";
import { R_X86_64, SHF, SHT, STT } from "../constants.ts";
import { ElfError } from "../errors.ts";
import type { ElfObject, Relocation, Section } from "../model.ts";

/** One debug section, linked: relocated bytes, and where each byte came from in the file. */
export interface DebugSection {
  name: string;
  bytes: Uint8Array;
  view: DataView;
  /** The file offset a position came from (for error messages). */
  fileOffset(pos: number): number;
}

interface Piece {
  section: Section;
  base: number;
  bytes: Uint8Array;
  compressed: boolean;
}

const ELFCOMPRESS_ZLIB = 1;
const CHDR_SIZE = 24;

/** The uncompressed contents of a SHF_COMPRESSED section (zlib; zstd cannot be read here). */
function contentsOf(section: Section): Uint8Array {
  if ((section.flags & SHF.COMPRESSED) === 0) return section.data;
  const data = section.data;
  if (data.length < CHDR_SIZE)
    throw new ElfError(`compressed section '${section.name}' is shorter than its header`, section.offset);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const type = view.getUint32(0, true);
  if (type !== ELFCOMPRESS_ZLIB)
    throw new ElfError(
      `section '${section.name}' is compressed with method ${type}; only zlib (1) can be read`,
      section.offset,
    );
  const size = Number(view.getBigUint64(8, true));
  let out: Buffer;
  try {
    out = inflateSync(data.subarray(CHDR_SIZE), { maxOutputLength: Math.min(size, 1 << 30) });
  } catch {
    throw new ElfError(`compressed section '${section.name}' does not inflate`, section.offset);
  }
  if (out.length !== size)
    throw new ElfError(
      `compressed section '${section.name}' inflates to ${out.length} bytes, not the ${size} its header says`,
      section.offset,
    );
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** Every section of that name laid end to end, each at its alignment. */
function layOut(obj: ElfObject, name: string): Piece[] {
  const pieces: Piece[] = [];
  let end = 0;
  for (const section of obj.sections) {
    if (section.index === 0 || section.name !== name || section.type === SHT.NOBITS) continue;
    const align = Math.max(1, section.addralign);
    const base = Math.ceil(end / align) * align;
    const bytes = contentsOf(section);
    pieces.push({ section, base, bytes, compressed: (section.flags & SHF.COMPRESSED) !== 0 });
    end = base + bytes.length;
  }
  return pieces;
}

/**
 * Where each debug section of the object starts in its linked copy, so a relocation against a
 * section symbol of `.debug_str` (say) resolves to the offset of that very piece.
 */
type Bases = Map<Section, number>;

function symbolValue(relocation: Relocation, bases: Bases): number {
  const symbol = relocation.symbol;
  const section = symbol.definedIn;
  const value = Number(symbol.value);
  if (section === null) return 0; // undefined or absolute: an address the reader never follows
  const base = bases.get(section);
  if (base !== undefined) return base + value;
  // A text or data section: only addresses point there, and the reader uses none of them.
  return symbol.type === STT.SECTION ? 0 : value;
}

function applyRelocations(obj: ElfObject, piece: Piece, out: Uint8Array, bases: Bases): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (const rela of obj.relocationSectionsFor(piece.section)) {
    const isRela = rela.type === SHT.RELA;
    for (const r of rela.relocations ?? []) {
      const at = piece.base + r.offset;
      const size = r.type === R_X86_64["64"] ? 8 : 4;
      if (r.type === R_X86_64.NONE) continue;
      if (r.offset + size > piece.bytes.length)
        throw new ElfError(
          `a relocation of '${piece.section.name}' at 0x${r.offset.toString(16)} lies past its end (${piece.bytes.length} bytes)`,
          rela.offset,
        );
      // Numbers, not bigints: offsets into debug sections are far below 2^53; an address
      // (R_X86_64_64 against code) may lose precision, but the reader never follows one.
      const inPlace = isRela
        ? 0
        : size === 8
          ? Number(view.getBigUint64(at, true))
          : view.getUint32(at, true);
      const value = symbolValue(r, bases) + Number(r.addend) + inPlace;
      if (r.type === R_X86_64["64"]) view.setBigUint64(at, BigInt.asUintN(64, BigInt(value)), true);
      else if (r.type === R_X86_64["32"] || r.type === R_X86_64["32S"]) view.setUint32(at, value >>> 0, true);
      else
        throw new ElfError(
          `relocation type ${r.type} in '${rela.name}' is not one a debug section uses (R_X86_64_32, 32S or 64)`,
          rela.offset,
        );
    }
  }
}

/** Every debug section name the reader may use, linked and relocated (absent ones omitted). */
export function linkDebugSections(obj: ElfObject, names: readonly string[]): Map<string, DebugSection> {
  const laidOut = new Map<string, Piece[]>();
  const bases: Bases = new Map();
  for (const name of names) {
    const pieces = layOut(obj, name);
    if (pieces.length === 0) continue;
    laidOut.set(name, pieces);
    for (const p of pieces) bases.set(p.section, p.base);
  }
  const out = new Map<string, DebugSection>();
  for (const [name, pieces] of laidOut) {
    const last = pieces[pieces.length - 1] as Piece;
    const bytes = new Uint8Array(last.base + last.bytes.length);
    for (const p of pieces) bytes.set(p.bytes, p.base);
    for (const p of pieces) applyRelocations(obj, p, bytes, bases);
    out.set(name, {
      name,
      bytes,
      view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      fileOffset(pos: number): number {
        let piece = pieces[0] as Piece;
        for (const p of pieces) if (p.base <= pos) piece = p;
        return piece.compressed ? piece.section.offset : piece.section.offset + (pos - piece.base);
      },
    });
  }
  return out;
}
