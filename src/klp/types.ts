// SPDX-License-Identifier: GPL-2.0-only
// Types shared by the livepatch generator: how the patch reaches the running kernel's symbols,
// what the stub redirects, and what a build reports.

/** A running-kernel symbol the patch refers to. Exported symbols are ordinary undefined
 * references (the module loader resolves them); everything else is a livepatch relocation. */
export type KernelTarget =
  | { kind: "export"; name: string }
  | { kind: "klp"; objName: string; name: string; sympos: number };

/** `.klp.sym.<objname>.<name>,<sympos>`, the name the livepatch core parses. */
export function klpSymbolName(t: { objName: string; name: string; sympos: number }): string {
  return `.klp.sym.${t.objName}.${t.name},${t.sympos}`;
}

/** One function the patch redirects (klp_func). */
export interface RedirectedFunction {
  /** Name in the running kernel (kallsyms). */
  oldName: string;
  /** 1-based position among same-named symbols of the object, 0 when unique. */
  sympos: number;
  /** Global symbol of the replacement inside the patch module. */
  alias: string;
}

export type CallbackKind = "pre_patch" | "post_patch" | "pre_unpatch" | "post_unpatch";

/** One klp_object: vmlinux or a module, with its functions and callbacks. */
export interface PatchedObject {
  /** "vmlinux" or the module's underscore name. */
  name: string;
  functions: RedirectedFunction[];
  /** Callback kind -> global alias of the fix's callback function. */
  callbacks: Partial<Record<CallbackKind, string>>;
}

/**
 * A fix a module carries, recorded in its modinfo as `hotpatch_fix=<sha256> <name>` so that a
 * live system can tell what a loaded patch protects against (and what replacing it would drop).
 */
export interface FixProvenance {
  /** The fix file's name (no directory), e.g. `01-af_unix-siocatmark-nonstream.patch`. */
  name: string;
  /** sha256 of the fix file's bytes, 64 lowercase hex digits. */
  sha256: string;
}

/** What goes into the module: the stub's tables and the patch objects to link. */
export interface ModulePlan {
  /** Module name (underscores, at most 55 characters). */
  name: string;
  replace: boolean;
  /** The fixes the module carries, in the order they were applied. */
  fixes: FixProvenance[];
  objects: PatchedObject[];
  /** Patch object files (already extracted) to link into the module. */
  patchObjects: string[];
  /** Symbol namespaces of exported symbols the patch uses (MODULE_IMPORT_NS). */
  namespaces: string[];
  /** Section name -> klp object of the patch object holding it (unambiguous names only). */
  sectionObjects?: Map<string, string>;
  /**
   * Refusal kinds the build overrode (the test-only HOTPATCH_TEST_BUILD_REFUSED): recorded as
   * modinfo `hotpatch_unsafe`, which `hotpatch load` refuses on a live system.
   */
  unsafeKinds?: string[];
}

/** Why a function went into the patch, for the build report. */
export interface IncludedFunction {
  name: string;
  object: string;
  unit: string;
  status: "changed" | "new" | "child" | "callback";
  reasons: string[];
  sympos?: number;
}
