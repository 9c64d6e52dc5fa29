// SPDX-License-Identifier: GPL-2.0-only
// Cuts the patch object out of a unit compiled with the fix: exactly the included functions
// (changed, new, their .cold/.part children), the data and constants only they need, their
// entries of the special sections, and every other reference turned into an undefined symbol
// that names the running kernel's copy (an exported name, or a `.klp.sym.*` placeholder that
// src/klp/klp-relocs.ts turns into a livepatch relocation after kbuild has linked the module).
import {
  type ElfObject,
  Symbol as ElfSym,
  type ElfSymbol,
  R_X86_64,
  type Relocation,
  renumber,
  type Section,
  SHF,
  SHN,
  SHT,
  STB,
  STT,
} from "../elf/index.ts";
import { ExitCode, UserError } from "../errors/user-error.ts";
import { applyJumpLabelNops } from "../kernel/jump-labels.ts";
import { PER_OBJECT_SECTION_TABLE, type SectionTable } from "./section-table.ts";
import { ENTRY_SIZE_CANDIDATES, ORC_UNWIND_ENTRY } from "./special.ts";
import { type KernelTarget, klpSymbolName } from "./types.ts";

/** How the extractor reaches symbols that are not part of the included functions. */
export interface ReferencePolicy {
  /** True when the symbol (a named one, or a section symbol of an anonymous section) is new
   * data or a constant the patch must carry itself rather than use the kernel's copy. */
  copy(symbol: ElfSymbol): boolean;
  /** The running kernel's symbol a reference means; throws UserError when there is none. */
  resolve(symbol: ElfSymbol): KernelTarget;
}

export interface ExtractRequest {
  /** The patched unit (mutated: pass a freshly read object). */
  object: ElfObject;
  /** Patched names of every function that goes in, children included. */
  functions: string[];
  /** Functions the stub refers to (redirected ones, callbacks): each gets a global alias. */
  exported: Array<{ name: string; alias: string }>;
  policy: ReferencePolicy;
  /** The special sections the target's kind of kernel wants carried (src/klp/section-table.ts);
   * default: those of a kernel whose objtool runs on every object (Debian's 6.1). */
  sections?: SectionTable;
}

export interface ExtractResult {
  object: ElfObject;
  /** Distinct running-kernel symbols the patch refers to. */
  kernelRefs: KernelTarget[];
  /** Special or unknown sections dropped, for the report. */
  notes: string[];
  /** Sections of the unit carried as new data or constants. */
  copied: string[];
}

const PC_RELATIVE = new Set<number>([
  R_X86_64.PC32,
  R_X86_64.PLT32,
  R_X86_64.PC64,
  R_X86_64.GOTPCREL,
  R_X86_64.GOTPCRELX,
  R_X86_64.REX_GOTPCRELX,
]);

function isNamed(sym: ElfSymbol): boolean {
  return sym.type === STT.FUNC || sym.type === STT.OBJECT || (sym.type === STT.NOTYPE && sym.name !== "");
}

/** The named symbol a section-relative reference points at, if the section has any. */
function namedSymbolAt(
  obj: ElfObject,
  bySection: Map<Section, ElfSymbol[]>,
  sec: Section,
  rel: Relocation,
): ElfSymbol | undefined {
  const candidates = bySection.get(sec) ?? [];
  if (candidates.length === 0) return undefined;
  if (candidates.length === 1) return candidates[0];
  const at = rel.addend + (PC_RELATIVE.has(rel.type) ? 4n : 0n);
  let best: ElfSymbol | undefined;
  for (const s of candidates) {
    if (s.value <= at && at < s.value + (s.size > 0n ? s.size : 1n)) return s;
    if (s.value <= at && (!best || s.value > best.value)) best = s;
  }
  void obj;
  return best ?? candidates[0];
}

interface Repoint {
  rel: Relocation;
  target: KernelTarget;
  /** Subtracted from the addend: the named symbol's offset in its section. */
  delta: bigint;
}

export function extractPatchObject(req: ExtractRequest): ExtractResult {
  const obj = req.object;
  const table = req.sections ?? PER_OBJECT_SECTION_TABLE;
  // objtool's NOPs at jump labels, where objtool has not run yet (it will run on the module's
  // link, but not see the sites whose entries are left out below): the patch's code then has
  // the running kernel's NOPs whatever happens to its entries.
  applyJumpLabelNops(obj);
  const bySection = new Map<Section, ElfSymbol[]>();
  for (const s of obj.symbols) {
    const sec = s.definedIn;
    if (sec && isNamed(s)) bySection.set(sec, [...(bySection.get(sec) ?? []), s]);
  }
  const kept = new Set<Section>();
  const text = new Set<Section>();
  const queue: Section[] = [];
  const keep = (sec: Section) => {
    if (kept.has(sec)) return;
    kept.add(sec);
    queue.push(sec);
  };
  for (const name of req.functions) {
    const sym = obj.symbols.find((s) => s.name === name && s.type === STT.FUNC && s.definedIn);
    if (!sym?.definedIn) throw new Error(`function ${name} is not defined in the patched object`);
    text.add(sym.definedIn);
    keep(sym.definedIn);
  }
  const repoints: Repoint[] = [];
  const copied = new Set<string>();
  const handle = (rel: Relocation) => {
    const s = rel.symbol;
    if (s.index === 0) return;
    const sec = s.definedIn;
    if (sec && text.has(sec)) return;
    if (!sec) {
      if (s.section === SHN.UNDEF) repoints.push({ rel, target: req.policy.resolve(s), delta: 0n });
      return; // SHN_ABS and the like resolve to themselves
    }
    const named = s.type === STT.SECTION ? namedSymbolAt(obj, bySection, sec, rel) : s;
    const target = named ?? s;
    if (!named || req.policy.copy(target)) {
      copied.add(sec.name);
      keep(sec);
      return;
    }
    repoints.push({
      rel,
      target: req.policy.resolve(target),
      delta: s.type === STT.SECTION ? named.value : 0n,
    });
  };
  const drain = () => {
    while (queue.length > 0) {
      const sec = queue.shift() as Section;
      for (const rel of obj.relocationsFor(sec)) handle(rel);
    }
  };
  drain();
  const notes: string[] = [];
  filterSpecialSections(obj, table, { text, kept, handle, notes }, (sec, rels) =>
    leftOutModuleKey(sec, rels, req.policy),
  );
  drain();

  const externals = new Map<string, ElfSymbol>();
  const externalFor = (t: KernelTarget): ElfSymbol => {
    const name = t.kind === "export" ? t.name : klpSymbolName(t);
    let sym = externals.get(name);
    if (!sym) {
      sym = new ElfSym({
        name,
        bind: t.kind === "export" ? STB.GLOBAL : STB.WEAK,
        type: STT.NOTYPE,
        section: SHN.UNDEF,
      });
      externals.set(name, sym);
    }
    return sym;
  };
  refuseLateSpecialReferences(obj, repoints);
  const kernelRefs = new Map<string, KernelTarget>();
  for (const r of repoints) {
    r.rel.symbol = externalFor(r.target);
    r.rel.addend -= r.delta;
    kernelRefs.set(r.rel.symbol.name, r.target);
  }
  removeUnkept(obj, kept);
  finishSymbols(obj, [...externals.values()], req.exported);
  return { object: obj, kernelRefs: [...kernelRefs.values()], notes, copied: [...copied].sort() };
}

/** Jump labels and static calls are set up when the patch module loads, but a module's klp
 * relocations are written only when that module loads (maybe later): an entry whose key lives
 * in a module would be initialised against an unresolved address. Refuse those. */
function refuseLateSpecialReferences(obj: ElfObject, repoints: Repoint[]): void {
  const early = new Set<Relocation>();
  for (const name of ["__jump_table", ".static_call_sites"]) {
    const sec = obj.sectionByName(name);
    if (sec) for (const rel of obj.relocationsFor(sec)) early.add(rel);
  }
  for (const r of repoints) {
    if (early.has(r.rel) && r.target.kind === "klp" && r.target.objName !== "vmlinux") {
      throw new UserError(
        `The patch needs a jump label or static call on '${r.target.name}' of module ${r.target.objName}, which the kernel would set up before the module's symbols are resolved: this fix cannot be live-patched automatically.`,
        [],
        ExitCode.REFUSED,
      );
    }
  }
}

/**
 * Entries of a module's keys that can be left out instead of refusing the fix (the kernel
 * would initialise them before the module's klp relocations are written; see
 * refuseLateSpecialReferences):
 * - a tracepoint's jump label (`__tracepoint_X`, default off): the branch is compiled as a
 *   no-op that only enabling the tracepoint turns into a jump, so the patched function stays
 *   correct with that tracepoint silent;
 * - a static call site (`__SCK__X`): the compiled call goes to the static call's trampoline,
 *   which always jumps to the current target; the site only misses being inlined.
 * Returns the note to report when the entry is left out, else undefined.
 */
function leftOutModuleKey(sec: Section, rels: Relocation[], policy: ReferencePolicy): string | undefined {
  const prefix =
    sec.name === "__jump_table" ? "__tracepoint_" : sec.name === ".static_call_sites" ? "__SCK__" : "";
  if (!prefix) return undefined;
  const key = rels.find((r) => r.symbol.name.startsWith(prefix));
  if (!key || key.symbol.section !== SHN.UNDEF) return undefined;
  if (prefix === "__tracepoint_" && (key.addend & 1n) !== 0n) return undefined; // a default-on branch
  let target: KernelTarget;
  try {
    target = policy.resolve(key.symbol);
  } catch {
    return undefined;
  }
  if (target.kind !== "klp" || target.objName === "vmlinux") return undefined;
  const name = key.symbol.name.slice(prefix.length);
  return prefix === "__tracepoint_"
    ? `tracepoint ${name} of module ${target.objName} does not fire from the patched functions (its jump label cannot be set up before the module's symbols are resolved)`
    : `static call ${name} of module ${target.objName} goes through its trampoline from the patched functions (not inlined)`;
}

/** What the entry filter of special sections has to share across sections. */
interface SpecialFilter {
  obj: ElfObject;
  table: SectionTable;
  /** The included functions' sections. */
  text: Set<Section>;
  kept: Set<Section>;
  handle: (rel: Relocation) => void;
  notes: string[];
  leaveOut: (sec: Section, rels: Relocation[]) => string | undefined;
  /** Addend ranges of the .altinstr_replacement code the kept alternatives use. */
  replacementRanges: Array<[bigint, bigint]>;
}

/** Keeps, in each special section, only the entries that point into included functions. */
function filterSpecialSections(
  obj: ElfObject,
  table: SectionTable,
  state: Pick<SpecialFilter, "text" | "kept" | "handle" | "notes">,
  leaveOut: (sec: Section, rels: Relocation[]) => string | undefined = () => undefined,
): void {
  const { text, kept, notes } = state;
  const filter: SpecialFilter = { obj, table, ...state, leaveOut, replacementRanges: [] };
  let orcIndices: number[] | undefined;
  for (const sec of obj.sections) {
    if (table.entrySizes[sec.name] === undefined || sec.isRelocation) continue;
    const size = entrySizeOf(obj, sec, table.entrySizes[sec.name] as number);
    const keptEntries = filterEntries(filter, sec, size);
    if (sec.name === ".orc_unwind_ip" && keptEntries.length > 0) orcIndices = keptEntries;
  }
  if (orcIndices) keepOrcEntries(obj, orcIndices, kept);
  keepUsedReplacements(obj, filter.replacementRanges, kept);
  noteUncarriedSections(obj, table, text, kept, notes);
}

/**
 * The entry size of a special section: the table's, or for a table whose layout differs between
 * kernels (ENTRY_SIZE_CANDIDATES) the candidate that splits the section into entries whose
 * relocations sit at the same offsets. A table that fits none is refused rather than cut at the
 * wrong places (6.12's 14-byte alternatives cut at 12 bytes panicked the guest at load).
 */
function entrySizeOf(obj: ElfObject, sec: Section, tableSize: number): number {
  const candidates = ENTRY_SIZE_CANDIDATES[sec.name];
  if (!candidates) return tableSize;
  const layout = (size: number, entry: number) =>
    obj
      .relocationsFor(sec)
      .filter((r) => Math.floor(r.offset / size) === entry)
      .map((r) => r.offset - entry * size)
      .sort((a, b) => a - b)
      .join(",");
  const fits = (size: number) => {
    if (sec.size === 0 || sec.size % size !== 0) return false;
    const first = layout(size, 0);
    for (let entry = 1; entry < sec.size / size; entry++) if (layout(size, entry) !== first) return false;
    return true;
  };
  const size = candidates.find(fits);
  if (size === undefined) {
    throw new UserError(
      `The unit's ${sec.name} (${sec.size} bytes) has entries of none of the known sizes (${candidates.join(", ")}): this kernel's layout is not supported.`,
      [],
      ExitCode.REFUSED,
    );
  }
  return size;
}

/** A special section's relocations grouped by the entry (of `size` bytes) they fall in. */
function relocationsByEntry(obj: ElfObject, sec: Section, size: number): Map<number, Relocation[]> {
  const byEntry = new Map<number, Relocation[]>();
  for (const rel of obj.relocationsFor(sec)) {
    const i = Math.floor(rel.offset / size);
    byEntry.set(i, [...(byEntry.get(i) ?? []), rel]);
  }
  return byEntry;
}

/**
 * Rewrites `sec` to the entries that point into included functions (minus those `leaveOut`
 * explains away), with their relocations moved along; returns the kept entries' indices.
 */
function filterEntries(filter: SpecialFilter, sec: Section, size: number): number[] {
  const byEntry = relocationsByEntry(filter.obj, sec, size);
  const keptEntries: number[] = [];
  for (const [i, rels] of [...byEntry.entries()].sort((a, b) => a[0] - b[0])) {
    if (!rels.some((r) => r.symbol.definedIn !== null && filter.text.has(r.symbol.definedIn as Section)))
      continue;
    const why = filter.leaveOut(sec, rels);
    if (why) {
      if (!filter.notes.includes(why)) filter.notes.push(why);
      continue;
    }
    keptEntries.push(i);
  }
  if (keptEntries.length === 0) return keptEntries;
  const data = new Uint8Array(keptEntries.length * size);
  const newRelocs: Relocation[] = [];
  keptEntries.forEach((entry, j) => {
    data.set(sec.data.subarray(entry * size, entry * size + size), j * size);
    for (const rel of byEntry.get(entry) ?? []) {
      newRelocs.push({ ...rel, offset: rel.offset - entry * size + j * size });
      // An alternative's repl_offset (at +4) points at its replacement code; replacementlen
      // is the entry's last byte (+11 in 6.1's 12-byte alt_instr, +13 in 6.12's 14-byte one).
      if (sec.name === ".altinstructions" && rel.offset - entry * size === 4) {
        const len = BigInt(sec.data[entry * size + size - 1] ?? 0);
        filter.replacementRanges.push([rel.addend, rel.addend + len]);
      }
    }
  });
  sec.data = data;
  sec.size = data.length;
  filter.obj.relocationSectionsFor(sec).forEach((rs, k) => {
    rs.relocations = k === 0 ? newRelocs : [];
  });
  filter.kept.add(sec);
  for (const rel of newRelocs) filter.handle(rel);
  return keptEntries;
}

/** .orc_unwind has no relocations: its entries follow the kept .orc_unwind_ip entries. */
function keepOrcEntries(obj: ElfObject, indices: number[], kept: Set<Section>): void {
  const orc = obj.sectionByName(".orc_unwind");
  if (!orc) return;
  const data = new Uint8Array(indices.length * ORC_UNWIND_ENTRY);
  indices.forEach((entry, j) => {
    data.set(
      orc.data.subarray(entry * ORC_UNWIND_ENTRY, (entry + 1) * ORC_UNWIND_ENTRY),
      j * ORC_UNWIND_ENTRY,
    );
  });
  orc.data = data;
  orc.size = data.length;
  kept.add(orc);
}

/** .altinstr_replacement goes in when a kept alternative uses it, with only those relocations. */
function keepUsedReplacements(obj: ElfObject, ranges: Array<[bigint, bigint]>, kept: Set<Section>): void {
  const repl = obj.sectionByName(".altinstr_replacement");
  if (!repl || ranges.length === 0) return;
  kept.add(repl);
  for (const rs of obj.relocationSectionsFor(repl)) {
    // repl_offset is `.long 144f - .`: its addend is the replacement's start. Relocations of
    // replacements we do not carry would drag in symbols nothing uses.
    rs.relocations = (rs.relocations ?? []).filter((r) =>
      ranges.some(([a, b]) => BigInt(r.offset) >= a && BigInt(r.offset) < b),
    );
  }
}

/** Any other allocated section that points into included code is dropped: say so. */
function noteUncarriedSections(
  obj: ElfObject,
  table: SectionTable,
  text: Set<Section>,
  kept: Set<Section>,
  notes: string[],
): void {
  for (const sec of obj.sections) {
    if (sec.isRelocation || kept.has(sec) || !(sec.flags & SHF.ALLOC) || table.isDropped(sec.name)) continue;
    if (
      table.entrySizes[sec.name] !== undefined ||
      sec.name === ".orc_unwind" ||
      sec.name === ".altinstr_replacement"
    )
      continue;
    const pointsIn = obj
      .relocationsFor(sec)
      .some((r) => r.symbol.definedIn !== null && text.has(r.symbol.definedIn as Section));
    if (
      pointsIn &&
      !sec.name.startsWith(".text") &&
      !sec.name.startsWith(".data") &&
      !sec.name.startsWith(".rodata")
    ) {
      notes.push(`section ${sec.name} refers to an included function and is not carried`);
    }
  }
}

/** Removes every section that is not kept (and the relocation sections of removed ones). */
function removeUnkept(obj: ElfObject, kept: Set<Section>): void {
  const symtab = obj.symtab;
  const keepAlso = new Set<Section | null>([
    obj.sections[0] ?? null,
    symtab,
    symtab?.linkSection ?? null,
    obj.shstrtab,
  ]);
  const survivors = obj.sections.filter((s) => {
    if (keepAlso.has(s) || kept.has(s)) return true;
    if (s.isRelocation && s.infoSection && kept.has(s.infoSection)) return (s.relocations?.length ?? 0) > 0;
    return false;
  });
  const survivorSet = new Set(survivors);
  for (const s of survivors) {
    if (s.type === SHT.GROUP) s.group = null;
    if (s.linkSection && !survivorSet.has(s.linkSection)) s.linkSection = null;
  }
  obj.sections = survivors.filter((s) => s.type !== SHT.GROUP);
  obj.symbols = obj.symbols.filter(
    (sym, i) => i === 0 || (sym.definedIn ? survivorSet.has(sym.definedIn) : sym.section !== SHN.UNDEF),
  );
  renumber(obj);
}

/** Adds the external symbols and the stub's aliases; everything defined becomes local so the
 * patch cannot clash with, or export over, the running kernel's own globals. */
function finishSymbols(
  obj: ElfObject,
  externals: ElfSymbol[],
  exported: Array<{ name: string; alias: string }>,
): void {
  for (const s of obj.symbols) if (s.definedIn && s.bind !== STB.LOCAL) s.bind = STB.LOCAL;
  const aliases: ElfSymbol[] = [];
  for (const e of exported) {
    const fn = obj.symbols.find((s) => s.name === e.name && s.type === STT.FUNC && s.definedIn);
    if (!fn) throw new Error(`function ${e.name} is missing from the patch object`);
    aliases.push(
      new ElfSym({
        name: e.alias,
        bind: STB.GLOBAL,
        type: STT.FUNC,
        section: fn.section,
        value: fn.value,
        size: fn.size,
      }),
    );
  }
  obj.symbols = [...obj.symbols, ...externals, ...aliases];
  renumber(obj);
}
