// SPDX-License-Identifier: GPL-2.0-only
// The data the build front end hands to the livepatch generator: for each compilation unit a
// fix affects, its pristine and patched objects and the klp object (vmlinux or a module) it
// belongs to; plus what was refused and why. Only types live here so that src/klp and the
// build command can depend on them without pulling in compilers or the kernel tree.

/** "vmlinux" or a module name in underscore form (the name klp_object.name wants). */
export type KlpObjectName = string;

/** One compilation unit the fix affects, compiled twice. */
export interface UnitBuild {
  /** Source path relative to the tree, e.g. `net/unix/af_unix.c`. */
  source: string;
  /** Object path relative to the tree, e.g. `net/unix/af_unix.o`. */
  object: string;
  /** `vmlinux`, or the module name with '-' turned into '_' (e.g. `sctp`, `binfmt_misc`).
   * Only when nothing was compiled (planOnly, or refusals) it may be the guesses
   * `(module)` / `(unknown)` read from the Makefiles. */
  klpObject: KlpObjectName;
  /** For a module unit: the target's .ko, relative to TargetPaths.modulesDir (e.g.
   * `kernel/net/sctp/sctp.ko`, possibly compressed `.ko.xz`); undefined for vmlinux. */
  moduleFile?: string;
  /** Absolute path of the object compiled from the pristine tree (cached per target; read only). */
  pristineObject: string;
  /** Absolute path of the object compiled from the fixed source (in BuildInputs.workDir). */
  patchedObject: string;
  /** The touched files that make this unit affected: the .c itself and/or headers it includes. */
  becauseOf: string[];
  /** Set when the unit is compiled without ftrace's entry call (lib/, kernel/trace/, ...):
   * none of its functions can be redirected, so any change the diff finds in it must be
   * refused with this reason. Only header-affected units get here; a touched .c file of such
   * a unit is a refusal instead. */
  noFtrace?: string;
}

/** A touched file (or unit) that cannot be live-patched, with the reason in one sentence. */
export interface BuildRefusal {
  /** Path relative to the tree root, e.g. `arch/x86/entry/entry_64.S` or `lib/string.c`. */
  file: string;
  reason: string;
}

export interface BuildInputs {
  /** Files the fix changes, relative to the tree root, in the order of the diff. */
  touchedFiles: string[];
  /** Units to diff, in a stable order (sorted by object path). */
  units: UnitBuild[];
  /** Files refused; when non-empty the build must stop (the caller prints them). */
  refusals: BuildRefusal[];
  /** Notes that do not stop the build (e.g. a header whose user list is approximate). */
  notes: string[];
  /** Scratch directory holding the patched view and patched objects. */
  workDir: string;
  /**
   * Compiles `unit` once more from the fixed source renumbered to the old line numbers
   * (`#line`, hunks.ts withOldLineNumbers) and returns the object's path: the differ's way to
   * tell a moved `__LINE__` from a real change.
   */
  compileWithOldLineNumbers(unit: UnitBuild): Promise<string>;
  /** Removes workDir (the cached pristine objects stay). */
  cleanup(): void;
}

export interface PrepareBuildInputsOptions {
  /** Where to put the scratch view and patched objects; default: a fresh dir under the
   * target's cache (`<root>/work/<pid>-<time>`). */
  workDir?: string;
  /** Log file for make/gcc/patch output. */
  logFile?: string;
  /** Stop after finding units and refusals (no compiling). */
  planOnly?: boolean;
}

/** Where a symbol that an object refers to lives in the running kernel. */
export interface KernelSymbolRef {
  name: string;
  /** "vmlinux" or module name (underscore form). */
  klpObject: KlpObjectName;
  /** 1-based position among same-named symbols of that object in kallsyms order; 0 if unique. */
  sympos: number;
  /** Link-time address (nokaslr kallsyms); for module symbols the address at capture time. */
  address: bigint;
  /** kallsyms type letter, e.g. 't', 'T', 'd', 'b'. */
  type: string;
  /** How it was found: unique name, read off a matching relocation in the running code,
   * by neighbouring symbols of the same unit, or the unit's own (matched) function. */
  how: "unique" | "relocation" | "neighbourhood" | "own-symbol";
}
