// SPDX-License-Identifier: GPL-2.0-only
// What hotpatch must know about a livepatch .ko before it asks the kernel to load it: its
// module name, the kernel release it was built for (vermagic), whether it is a livepatch at
// all, whether it replaces earlier patches (cumulative), the fixes it records as carried and
// its build ID (which the kernel shows for loaded modules). Read from the file, not the kernel,
// with the shared ELF reader (src/elf has no build-side dependencies, so runtime may use it).
import { basename } from "node:path";
import {
  ElfError,
  type ElfObject,
  type ElfSymbol,
  elfNotes,
  R_X86_64,
  readElf,
  type Section,
  SHF,
  SHT,
} from "../elf/index.ts";
import { UserError } from "../errors/user-error.ts";
import { warn } from "../util/progress.ts";
import { UNSAFE_BUILD_VAR, UNSAFE_MODINFO_TAG, unsafeKinds } from "../util/unsafe-override.ts";
import { readUserFile } from "../util/user-files.ts";
import { FIX_TAG, type FixRecord, parseFixEntries } from "./provenance.ts";

export type ReplaceMode = "replace" | "stack" | "unknown";

export interface ModuleFile {
  path: string;
  /** The module name the kernel will use (modinfo `name=`, else the file name). */
  name: string;
  /** Full vermagic string, e.g. "6.1.0-50-amd64 SMP preempt mod_unload modversions ". */
  vermagic: string;
  /** First word of vermagic: the kernel release (`uname -r`) the module was built for. */
  release: string;
  livepatch: boolean;
  replace: ReplaceMode;
  /** The fixes its modinfo records (`hotpatch_fix`); null when it records none. */
  fixes: FixRecord[] | null;
  /** Hex GNU build ID (kbuild links modules with --build-id); null when it has none. */
  buildId: string | null;
  /** Every .modinfo key with its values, in file order. */
  modinfo: Record<string, string[]>;
}

/** Splits the NUL-separated `key=value` strings of a .modinfo section. */
export function parseModinfo(data: Uint8Array): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const entry of Buffer.from(data).toString("utf8").split("\0")) {
    const eq = entry.indexOf("=");
    if (eq <= 0) continue;
    const key = entry.slice(0, eq);
    const values = result[key] ?? [];
    values.push(entry.slice(eq + 1));
    result[key] = values;
  }
  return result;
}

const NT_GNU_BUILD_ID = 3;

/**
 * The build ID in the bytes of an ELF note section: `.note.gnu.build-id` of a .ko, or
 * /sys/module/NAME/notes/.note.gnu.build-id of a loaded module (the same bytes).
 */
export function buildIdFromNotes(data: Uint8Array): string | null {
  for (const note of elfNotes(data)) {
    if (note.type === NT_GNU_BUILD_ID && note.name === "GNU\0" && note.desc.length > 0)
      return Buffer.from(note.desc).toString("hex");
  }
  return null;
}

/** Offsets of fields of struct klp_patch in Linux 6.1 on x86_64 (include/linux/livepatch.h). */
const KLP_PATCH_OBJS = 8;
const KLP_PATCH_REPLACE = 24;

/** A symbol defined in a section that holds data (not code, not undefined or absolute). */
function isDataSymbol(symbol: ElfSymbol): boolean {
  const section = symbol.definedIn;
  return section !== null && (section.flags & SHF.EXECINSTR) === 0;
}

/**
 * The klp_patch's `replace` flag. 6.1 has no sysfs file for it, so it is read from the module:
 * an explicit `hotpatch_replace=Y|N` modinfo entry (hotpatch-built modules), else the one
 * struct in a data section that starts with a pointer to __this_module followed by a pointer
 * into data (klp_patch.mod, klp_patch.objs); its byte at offset 24 is `replace`. A
 * file_operations also starts with THIS_MODULE, but is followed by a function pointer.
 */
function readReplaceMode(ko: ElfObject, modinfo: Record<string, string[]>): ReplaceMode {
  const explicit = modinfo.hotpatch_replace?.[0]?.toUpperCase();
  if (explicit === "Y" || explicit === "1") return "replace";
  if (explicit === "N" || explicit === "0") return "stack";
  const thisModule = ko.symbolByName("__this_module");
  if (!thisModule) return "unknown";
  const found: boolean[] = [];
  for (const rela of ko.sections) {
    const target = rela.infoSection;
    if (rela.type !== SHT.RELA || !target) continue;
    if ((target.flags & SHF.EXECINSTR) !== 0 || target.name.startsWith(".gnu.linkonce")) continue;
    found.push(...klpPatchCandidates(rela, target, thisModule));
  }
  return found.length === 1 ? (found[0] ? "replace" : "stack") : "unknown";
}

/** The `replace` byte of every klp_patch-shaped struct that one RELA section points into. */
function klpPatchCandidates(rela: Section, target: Section, thisModule: ElfSymbol): boolean[] {
  const entries = (rela.relocations ?? []).filter((r) => r.type === R_X86_64["64"]);
  const byOffset = new Map(entries.map((r) => [r.offset, r]));
  const data = target.data;
  return entries
    .filter((r) => r.symbol === thisModule && r.addend === 0n)
    .filter((r) => {
      const objs = byOffset.get(r.offset + KLP_PATCH_OBJS);
      return objs !== undefined && isDataSymbol(objs.symbol) && r.offset + KLP_PATCH_REPLACE < data.length;
    })
    .map((r) => data[r.offset + KLP_PATCH_REPLACE] !== 0);
}

/** Parses the file as ELF, turning a malformed one into a sentence about the module. */
function readKo(bytes: Uint8Array, path: string): ElfObject {
  try {
    return readElf(bytes);
  } catch (error) {
    if (error instanceof ElfError)
      throw new UserError(`${path} is not a valid kernel module: ${error.reason}.`);
    throw error;
  }
}

export function readModuleFile(path: string): ModuleFile {
  const ko = readKo(readUserFile(path, "a kernel module"), path);
  const section = ko.sectionByName(".modinfo");
  if (!section) throw new UserError(`${path} is not a kernel module: it has no .modinfo section.`);
  const modinfo = parseModinfo(section.data);
  const vermagic = modinfo.vermagic?.[0] ?? "";
  return {
    path,
    name: modinfo.name?.[0] ?? basename(path).replace(/\.ko$/, "").replaceAll("-", "_"),
    vermagic,
    release: vermagic.trim().split(/\s+/)[0] ?? "",
    livepatch: modinfo.livepatch?.[0] === "Y",
    replace: readReplaceMode(ko, modinfo),
    fixes: parseFixEntries(modinfo[FIX_TAG], path),
    buildId: buildIdFromNotes(ko.sectionByName(".note.gnu.build-id")?.data ?? new Uint8Array()),
    modinfo,
  };
}

/**
 * Refuses a module built despite refusals (modinfo `hotpatch_unsafe`, only from the test-only
 * HOTPATCH_TEST_BUILD_REFUSED switch) unless the same switch, set here too, covers its kinds:
 * such a module exists to show a kernel breaking, in a VM.
 */
export function checkNotUnsafe(module: ModuleFile, env: NodeJS.ProcessEnv = process.env): void {
  const built = unsafeKinds(module.modinfo[UNSAFE_MODINFO_TAG]?.join(","));
  if (built.length === 0) return;
  const allowed = unsafeKinds(env[UNSAFE_BUILD_VAR]);
  if (built.some((k) => !allowed.includes(k))) {
    throw new UserError(
      `${module.path} was built despite refusals (${built.join(", ")}) with the test-only ${UNSAFE_BUILD_VAR}: it is unsafe by construction and is not loaded.`,
    );
  }
  warn(
    `${module.path} was built despite refusals (${built.join(", ")}): UNSAFE, allowed only because ${UNSAFE_BUILD_VAR} is set (test-only).`,
  );
}

/** Refuses, in one sentence, a module this kernel must not be asked to load as a livepatch. */
export function checkLoadable(module: ModuleFile, runningRelease: string): void {
  if (!module.vermagic) {
    throw new UserError(
      `${module.path} has no vermagic: it was not built by kbuild for any kernel, so it is not loaded.`,
    );
  }
  if (module.release !== runningRelease) {
    throw new UserError(
      `${module.path} was built for kernel ${module.release}, but this system runs ${runningRelease}: it is not loaded.`,
    );
  }
  if (!module.livepatch) {
    throw new UserError(
      `${module.path} is not a livepatch module (its modinfo has no livepatch=Y): it is not loaded.`,
    );
  }
  checkNotUnsafe(module);
}
