// SPDX-License-Identifier: GPL-2.0-only
// Run-pre matching (the Ksplice idea): before trusting a build, compare each pristine function
// that the patch replaces or refers to with the running kernel's code, masking relocation
// fields. Matching relocation fields also say exactly which same-named local symbol a
// reference means, which gives the sympos a klp relocation needs.
//
// vmlinux units are compared with the extracted kernel image at the nokaslr kallsyms
// addresses; module units with the target's own .ko (whose relocations are symbolic, so
// references resolve exactly there).
import { readFileSync } from "node:fs";
import {
  type ElfObject,
  type ElfSymbol,
  R_X86_64,
  type Relocation,
  readElf,
  type Section,
  SHF,
  STB,
  STT,
} from "../elf/index.ts";
import { UserError } from "../errors/user-error.ts";
import type { KernelSymbolRef, UnitBuild } from "./build-types.ts";
import { type KernelImage, loadKernelImage } from "./image.ts";
import { applyJumpLabelNops } from "./jump-labels.ts";
import { isTextType, type Kallsyms, type KallsymsEntry, loadKallsyms, neighbours } from "./kallsyms.ts";
import { loadSymvers, type Symvers } from "./symvers.ts";
import type { TargetPaths } from "./target-layout.ts";
import { readTargetModule } from "./target-modules.ts";

export interface UnitMatch {
  unit: UnitBuild;
  /** The functions asked for, by their name in the pristine object, found in the running
   * kernel (each matched byte for byte outside relocation fields). */
  functions: Map<string, KernelSymbolRef>;
  /**
   * Where a symbol of the pristine object (defined or undefined, by its name there) lives in
   * the running kernel: own functions matched above, references read off matching
   * relocations, unique names, else neighbouring symbols of the same unit. Returns undefined
   * when the running kernel has no such symbol (e.g. a symbol only the fix adds).
   * Throws UserError when several candidates remain and none can be told apart.
   */
  resolve(name: string): KernelSymbolRef | undefined;
}

/** Width in bytes of the field a relocation type writes (0: not a field we know how to mask). */
export function relocationWidth(type: number): number {
  switch (type) {
    case R_X86_64["64"]:
    case R_X86_64.PC64:
      return 8;
    case R_X86_64.PC32:
    case R_X86_64.PLT32:
    case R_X86_64["32"]:
    case R_X86_64["32S"]:
    case R_X86_64.GOTPCREL:
    case R_X86_64.GOTPCRELX:
    case R_X86_64.REX_GOTPCRELX:
      return 4;
    default:
      return 0;
  }
}

function isPcRelative(type: number): boolean {
  return type === R_X86_64.PC32 || type === R_X86_64.PLT32 || type === R_X86_64.PC64;
}

/** A pristine function: its bytes and the relocations inside it (offsets relative to its start). */
export interface FunctionCode {
  symbol: ElfSymbol;
  bytes: Uint8Array;
  relocations: Array<Relocation & { at: number }>;
}

export function functionCode(obj: ElfObject, symbol: ElfSymbol): FunctionCode {
  const section = symbol.definedIn;
  if (!section) throw new Error(`${symbol.name} is not defined in a section`);
  const start = Number(symbol.value);
  const end = start + Number(symbol.size);
  const relocations = obj
    .relocationsFor(section)
    .filter((r) => r.offset >= start && r.offset < end)
    .map((r) => ({ ...r, at: r.offset - start }));
  return { symbol, bytes: section.data.subarray(start, end), relocations };
}

/** Offset of the first byte that differs outside the masked fields, or -1 when they match. */
export function firstMismatch(
  expected: Uint8Array,
  actual: Uint8Array,
  masked: Iterable<{ at: number; width: number }>,
): number {
  if (expected.length !== actual.length) return Math.min(expected.length, actual.length);
  const mask = new Uint8Array(expected.length);
  for (const { at, width } of masked) mask.fill(1, at, Math.min(expected.length, at + width));
  for (let i = 0; i < expected.length; i++) {
    if (mask[i] === 0 && expected[i] !== actual[i]) return i;
  }
  return -1;
}

function masksOf(code: FunctionCode): Array<{ at: number; width: number }> {
  return code.relocations.map((r) => ({ at: r.at, width: relocationWidth(r.type) || 4 }));
}

function definedFunction(obj: ElfObject, name: string): ElfSymbol | undefined {
  return obj.symbols.find((s) => s.name === name && s.type === STT.FUNC && s.definedIn !== null);
}

/** Names of the unit's own defined symbols, for neighbourhood scoring. */
function unitNames(obj: ElfObject): Set<string> {
  const names = new Set<string>();
  for (const s of obj.symbols) {
    if (s.name && s.definedIn && (s.type === STT.FUNC || s.type === STT.OBJECT)) names.add(s.name);
  }
  return names;
}

/** Picks the candidate whose neighbours are most often the unit's own symbols. */
function byNeighbourhood<T>(
  candidates: T[],
  neighbours: (c: T) => string[],
  own: Set<string>,
  what: string,
): T {
  const scored = candidates.map((c) => ({ c, score: neighbours(c).filter((n) => own.has(n)).length }));
  scored.sort((a, b) => b.score - a.score);
  const [best, second] = scored;
  if (!best || best.score === 0 || (second && second.score === best.score)) {
    throw new UserError(
      `Cannot tell which of the ${candidates.length} symbols named '${what}' in the running kernel the fixed unit refers to.`,
    );
  }
  return best.c;
}

const NEIGHBOUR_RADIUS = 16;

function readField(bytes: Uint8Array, at: number, type: number): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, relocationWidth(type));
  if (relocationWidth(type) === 8) return view.getBigInt64(0, true);
  if (type === R_X86_64["32"]) return BigInt(view.getUint32(0, true));
  return BigInt(view.getInt32(0, true));
}

const MASK64 = (1n << 64n) - 1n;

/** Matching and resolution against vmlinux. */
class VmlinuxMatcher {
  readonly evidence = new Map<string, KallsymsEntry>();

  constructor(
    private readonly kallsyms: Kallsyms,
    private readonly image: KernelImage,
    private readonly pristine: ElfObject,
    private readonly own: Set<string>,
  ) {}

  ref(entry: KallsymsEntry, how: KernelSymbolRef["how"]): KernelSymbolRef {
    return {
      name: entry.name,
      klpObject: "vmlinux",
      sympos: this.kallsyms.sympos(entry),
      address: entry.address,
      type: entry.type,
      how,
    };
  }

  matchFunction(name: string): KernelSymbolRef {
    const symbol = definedFunction(this.pristine, name);
    if (!symbol) throw new Error(`${name} is not a function of the pristine object`);
    const code = functionCode(this.pristine, symbol);
    const candidates = this.kallsyms.named(name).filter((e) => isTextType(e.type));
    if (candidates.length === 0) {
      throw new UserError(
        `The running kernel has no function '${name}' (not in the target's kallsyms): it was inlined or not built there.`,
      );
    }
    const matching = candidates.filter((e) => {
      const actual = this.image.read(e.address, code.bytes.length);
      return actual !== undefined && firstMismatch(code.bytes, actual, masksOf(code)) < 0;
    });
    if (matching.length === 0) {
      const first = candidates[0] as KallsymsEntry;
      const actual = this.image.read(first.address, code.bytes.length);
      const at = actual ? firstMismatch(code.bytes, actual, masksOf(code)) : -1;
      throw new UserError(
        `The running kernel's ${name} differs from the one compiled from the target's source (first difference at byte ${at} of ${code.bytes.length}): another compiler, config or source built that kernel.`,
      );
    }
    const chosen =
      matching.length === 1
        ? (matching[0] as KallsymsEntry)
        : byNeighbourhood(matching, (e) => this.kallsyms.neighbourNames(e, NEIGHBOUR_RADIUS), this.own, name);
    this.learnFrom(code, chosen.address);
    return this.ref(chosen, candidates.length === 1 ? "unique" : "own-symbol");
  }

  /** Reads each relocation field of the running function to learn what it points to. */
  private learnFrom(code: FunctionCode, address: bigint): void {
    const running = this.image.read(address, code.bytes.length);
    if (!running) return;
    for (const r of code.relocations) {
      if (relocationWidth(r.type) === 0) continue;
      const value = readField(running, r.at, r.type);
      const place = address + BigInt(r.at);
      const target = ((isPcRelative(r.type) ? value + place - r.addend : value - r.addend) &
        MASK64) as bigint;
      this.learn(r.symbol, target);
    }
  }

  private learn(symbol: ElfSymbol, target: bigint): void {
    if (symbol.type === STT.SECTION) {
      const section = symbol.definedIn;
      if (!section) return;
      for (const s of this.pristine.symbols) {
        if (s.definedIn === section && s.name && s.type !== STT.SECTION)
          this.record(s.name, target + s.value);
      }
      return;
    }
    if (symbol.name) this.record(symbol.name, target);
  }

  private record(name: string, address: bigint): void {
    const entry = this.kallsyms.vmlinuxAt(address).find((e) => e.name === name);
    if (entry && this.kallsyms.named(name).length > 1) this.evidence.set(name, entry);
  }

  resolve(name: string): KernelSymbolRef | undefined {
    const known = this.evidence.get(name);
    if (known) return this.ref(known, "relocation");
    const candidates = this.kallsyms.named(name);
    if (candidates.length === 0) return undefined;
    if (candidates.length === 1) return this.ref(candidates[0] as KallsymsEntry, "unique");
    const pristineSymbol = this.pristine.symbols.find((s) => s.name === name);
    if (pristineSymbol && pristineSymbol.bind !== STB.LOCAL) {
      const global = candidates.filter((e) => e.type === e.type.toUpperCase());
      if (global.length === 1) return this.ref(global[0] as KallsymsEntry, "unique");
    }
    const chosen = byNeighbourhood(
      candidates,
      (e) => this.kallsyms.neighbourNames(e, NEIGHBOUR_RADIUS),
      this.own,
      name,
    );
    return this.ref(chosen, "neighbourhood");
  }
}

/** The symbols of a .ko that the kernel keeps in the module's kallsyms, in order
 * (kernel/module/kallsyms.c is_core_symbol with CONFIG_KALLSYMS_ALL). */
export function moduleKallsyms(ko: ElfObject): ElfSymbol[] {
  return ko.symbols.filter((s) => {
    const section = s.definedIn;
    if (!s.name || !section) return false;
    if (section.name === ".data..percpu") return true;
    return (section.flags & SHF.ALLOC) !== 0 && !section.name.startsWith(".init");
  });
}

function letterOf(symbol: ElfSymbol): string {
  const section = symbol.definedIn;
  let letter = "d";
  if (symbol.type === STT.FUNC || (section && (section.flags & SHF.EXECINSTR) !== 0)) letter = "t";
  else if (section?.isNobits) letter = "b";
  else if (section && (section.flags & 0x1) === 0) letter = "r";
  return symbol.bind === STB.LOCAL ? letter : letter.toUpperCase();
}

/** Matching and resolution against the target's .ko of a module unit. */
class ModuleMatcher {
  readonly evidence = new Map<string, ElfSymbol>();
  private readonly kept: ElfSymbol[];

  constructor(
    private readonly moduleName: string,
    private readonly ko: ElfObject,
    private readonly pristine: ElfObject,
    private readonly own: Set<string>,
    private readonly vmlinux: () => VmlinuxMatcher,
    private readonly symvers: Symvers,
  ) {
    this.kept = moduleKallsyms(ko);
  }

  ref(symbol: ElfSymbol, how: KernelSymbolRef["how"]): KernelSymbolRef {
    const same = this.kept.filter((s) => s.name === symbol.name);
    const sympos = same.length <= 1 ? 0 : same.indexOf(symbol) + 1;
    return {
      name: symbol.name,
      klpObject: this.moduleName,
      sympos,
      address: symbol.value,
      type: letterOf(symbol),
      how,
    };
  }

  private neighbours(symbol: ElfSymbol): string[] {
    return neighbours(this.kept, this.kept.indexOf(symbol), NEIGHBOUR_RADIUS).map((s) => s.name);
  }

  matchFunction(name: string): KernelSymbolRef {
    const symbol = definedFunction(this.pristine, name);
    if (!symbol) throw new Error(`${name} is not a function of the pristine object`);
    const code = functionCode(this.pristine, symbol);
    const candidates = this.kept.filter((s) => s.name === name && s.type === STT.FUNC);
    if (candidates.length === 0) {
      throw new UserError(
        `The target's module ${this.moduleName} has no function '${name}': it was inlined or not built there.`,
      );
    }
    let firstDiff = -1;
    const matching = candidates.filter((k) => {
      const theirs = functionCode(this.ko, k);
      const masks = [...masksOf(code), ...masksOf(theirs)];
      const at = firstMismatch(code.bytes, theirs.bytes, masks);
      if (at >= 0 && firstDiff < 0) firstDiff = at;
      return at < 0;
    });
    if (matching.length === 0) {
      throw new UserError(
        `The target module ${this.moduleName}'s ${name} differs from the one compiled from the target's source (first difference at byte ${firstDiff} of ${code.bytes.length}): another compiler, config or source built that module.`,
      );
    }
    const chosen =
      matching.length === 1
        ? (matching[0] as ElfSymbol)
        : byNeighbourhood(matching, (s) => this.neighbours(s), this.own, name);
    this.learnFrom(code, functionCode(this.ko, chosen));
    return this.ref(chosen, candidates.length === 1 ? "unique" : "own-symbol");
  }

  /** Pairs each pristine relocation with the .ko's relocation at the same place. */
  private learnFrom(ours: FunctionCode, theirs: FunctionCode): void {
    const byAt = new Map(theirs.relocations.map((r) => [r.at, r]));
    for (const r of ours.relocations) {
      const k = byAt.get(r.at);
      if (!k) continue;
      if (r.symbol.type !== STT.SECTION && k.symbol.type !== STT.SECTION) {
        if (r.symbol.name === k.symbol.name) this.evidence.set(r.symbol.name, k.symbol);
        continue;
      }
      // Section-relative on either side: compare target offsets within the sections.
      const ourSection = r.symbol.type === STT.SECTION ? r.symbol.definedIn : r.symbol.definedIn;
      const theirSection = k.symbol.definedIn;
      if (!ourSection || !theirSection) continue;
      const ourBase = r.symbol.type === STT.SECTION ? 0n : r.symbol.value;
      const theirBase = k.symbol.type === STT.SECTION ? 0n : k.symbol.value;
      const shift = theirBase + k.addend - (ourBase + r.addend); // their offset = ours + shift
      for (const s of this.pristine.symbols) {
        if (s.definedIn !== ourSection || !s.name || s.type === STT.SECTION) continue;
        const want = s.value + shift;
        const found = this.kept.find(
          (t) => t.definedIn === theirSection && t.name === s.name && t.value === want,
        );
        if (found) this.evidence.set(s.name, found);
      }
    }
  }

  resolve(name: string): KernelSymbolRef | undefined {
    const known = this.evidence.get(name);
    if (known && !known.isUndefined) return this.ref(known, "relocation");
    const candidates = this.kept.filter((s) => s.name === name);
    if (candidates.length === 1) return this.ref(candidates[0] as ElfSymbol, "unique");
    if (candidates.length > 1) {
      const pristineSymbol = this.pristine.symbols.find((s) => s.name === name);
      if (pristineSymbol && pristineSymbol.bind !== STB.LOCAL) {
        const global = candidates.filter((s) => s.bind !== STB.LOCAL);
        if (global.length === 1) return this.ref(global[0] as ElfSymbol, "unique");
      }
      return this.ref(
        byNeighbourhood(candidates, (s) => this.neighbours(s), this.own, name),
        "neighbourhood",
      );
    }
    // Not in this module: vmlinux, or another module that exports it.
    const inVmlinux = this.vmlinux().resolve(name);
    if (inVmlinux) return inVmlinux;
    const exporter = this.symvers.exporterObject(name);
    if (exporter) return { name, klpObject: exporter, sympos: 0, address: 0n, type: "T", how: "unique" };
    return undefined;
  }
}

/**
 * Matches `functions` (names in unit.pristineObject) against the running kernel: vmlinux
 * units against TargetPaths.vmlinux at the kallsyms addresses, module units against the
 * target's .ko. Throws UserError naming the first function whose code differs.
 */
export async function matchUnit(
  paths: TargetPaths,
  unit: UnitBuild,
  functions: string[],
): Promise<UnitMatch> {
  const pristine = readElf(readFileSync(unit.pristineObject));
  // The running kernel has objtool's NOPs at jump labels; a unit objtool has not processed yet
  // (Linux 6.12 runs it on vmlinux.o and module links only) still has the jmps.
  applyJumpLabelNops(pristine);
  const own = unitNames(pristine);
  const kallsyms = loadKallsyms(paths.kallsyms);
  let vm: VmlinuxMatcher | undefined;
  const vmlinux = () => {
    vm ??= new VmlinuxMatcher(kallsyms, loadKernelImage(paths.vmlinux), pristine, own);
    return vm;
  };
  const result = new Map<string, KernelSymbolRef>();
  let resolve: (name: string) => KernelSymbolRef | undefined;
  if (unit.klpObject === "vmlinux") {
    const matcher = vmlinux();
    for (const name of functions) result.set(name, matcher.matchFunction(name));
    resolve = (name) => result.get(name) ?? matcher.resolve(name);
  } else {
    if (!unit.moduleFile)
      throw new UserError(`The target has no module '${unit.klpObject}' for ${unit.object}.`);
    const ko = readElf(readTargetModule(paths, unit.moduleFile));
    const matcher = new ModuleMatcher(unit.klpObject, ko, pristine, own, vmlinux, loadSymvers(paths.symvers));
    for (const name of functions) result.set(name, matcher.matchFunction(name));
    resolve = (name) => result.get(name) ?? matcher.resolve(name);
  }
  return { unit, functions: result, resolve };
}

export type { Section };
