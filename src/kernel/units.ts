// SPDX-License-Identifier: GPL-2.0-only
// Which compilation units a fix affects, and where each one ends up in the target: built into
// vmlinux, into a module (and which), or not built at all in this configuration.
//
// Whether a unit is built is read from the kbuild Makefiles with a deliberately small
// evaluator (obj-y / obj-m / obj-$(CONFIG_X) / composite-objs lines and the directory chain
// above them, against the target's .config). Conditionals and computed names are not
// evaluated; such units come back "unknown" and are compiled anyway. The final word is the
// running kernel itself: a compiled unit whose functions are absent from the target's
// kallsyms (vmlinux) or .ko (modules) is dropped (see build-inputs.ts).
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { UnitCommand } from "./kbuild-cmd.ts";
import { shippedModuleFile } from "./target-modules.ts";

export type TouchedKind = "c-source" | "header" | "assembly" | "build-system" | "ignored" | "other";

/** Paths that are not part of the kernel image: changes there are reported and ignored. */
const IGNORED_PREFIXES = ["Documentation/", "tools/", "samples/", "LICENSES/", "usr/", "debian/", "scripts/"];
const IGNORED_NAMES = new Set(["MAINTAINERS", "CREDITS", "README", ".gitignore", ".mailmap", "COPYING"]);

export function classifyTouched(path: string): TouchedKind {
  const name = basename(path);
  if (IGNORED_PREFIXES.some((p) => path.startsWith(p)) || IGNORED_NAMES.has(name)) return "ignored";
  if (/\.(rst|txt|yaml|json)$/.test(name)) return "ignored";
  if (name === "Makefile" || name === "Kbuild" || name.startsWith("Kconfig") || name.endsWith(".mk"))
    return "build-system";
  if (name.endsWith(".c")) return "c-source";
  if (name.endsWith(".h")) return "header";
  if (name.endsWith(".S") || name.endsWith(".s")) return "assembly";
  return "other";
}

/** Units whose directory Makefile removes ftrace's flags: nothing there can be redirected. */
export function noFtraceByPath(path: string): boolean {
  return path.startsWith("lib/") || path.startsWith("kernel/trace/");
}

export type ConfigState = "y" | "m" | "n" | "unknown";

/** Reads `CONFIG_X=value` lines of a .config. */
export function parseKconfig(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m) values.set(m[1] as string, m[2] as string);
  }
  return values;
}

const rank: Record<ConfigState, number> = { n: 0, m: 1, unknown: 2, y: 3 };

function minState(a: ConfigState, b: ConfigState): ConfigState {
  if (a === "n" || b === "n") return "n";
  if (a === "unknown" || b === "unknown") return "unknown";
  return a === "m" || b === "m" ? "m" : "y";
}

function maxState(a: ConfigState, b: ConfigState): ConfigState {
  return rank[a] >= rank[b] ? a : b;
}

interface Assignment {
  lhs: string;
  words: string[];
}

/** The assignments of a directory's Kbuild/Makefile, continuation lines joined. */
function readAssignments(tree: string, dir: string, memo: Map<string, Assignment[]>): Assignment[] {
  const cached = memo.get(dir);
  if (cached) return cached;
  let text = "";
  for (const name of ["Kbuild", "Makefile"]) {
    const file = join(tree, dir, name);
    if (existsSync(file)) {
      text = readFileSync(file, "utf8");
      break;
    }
  }
  const found: Assignment[] = [];
  for (const line of text.replace(/\\\n/g, " ").split("\n")) {
    const m = /^\s*([A-Za-z0-9_.$()-]+)\s*(?:\+=|:=|\?=|=)\s*(.*)$/.exec(line.replace(/#.*$/, ""));
    if (m) found.push({ lhs: m[1] as string, words: (m[2] as string).split(/\s+/).filter(Boolean) });
  }
  memo.set(dir, found);
  return found;
}

function stateOfSuffix(suffix: string, config: Map<string, string>): ConfigState {
  if (suffix === "y") return "y";
  if (suffix === "m") return "m";
  if (suffix === "") return "n";
  const m = /^\$\((CONFIG_[A-Za-z0-9_]+)\)$/.exec(suffix);
  if (!m) return "unknown";
  const value = config.get(m[1] as string);
  return value === "y" ? "y" : value === "m" ? "m" : "n";
}

/** Evaluates the Makefile lines naming `name` (an object or a subdirectory with '/') in `dir`. */
function stateIn(
  tree: string,
  dir: string,
  name: string,
  config: Map<string, string>,
  memo: Map<string, Assignment[]>,
  seen: Set<string>,
): ConfigState | undefined {
  const key = `${dir}//${name}`;
  if (seen.has(key)) return "unknown";
  seen.add(key);
  let result: ConfigState | undefined;
  for (const { lhs, words } of readAssignments(tree, dir, memo)) {
    if (!words.includes(name)) continue;
    const m = /^(.*?)-(y|m|objs|\$\(CONFIG_[A-Za-z0-9_]+\)|)$/.exec(lhs);
    if (!m) continue;
    const [, head, suffix] = m as unknown as [string, string, string];
    let state: ConfigState;
    if (head === "obj" || head === "lib" || head === "subdir") {
      state = stateOfSuffix(suffix, config);
    } else if (
      head.startsWith("ccflags") ||
      head.startsWith("CFLAGS") ||
      head.startsWith("always") ||
      head.startsWith("targets")
    ) {
      continue;
    } else {
      // A composite object: head.o made of these parts.
      const gate = suffix === "objs" ? "y" : stateOfSuffix(suffix, config);
      const parent = /^[A-Za-z0-9_-]+$/.test(head)
        ? stateIn(tree, dir, `${head}.o`, config, memo, seen)
        : "unknown";
      state = minState(gate === "m" ? "y" : gate, parent ?? "unknown");
    }
    result = result === undefined ? state : maxState(result, state);
  }
  return result;
}

/** The architecture directory of the targets (x86_64 kernels); arch/<other>/ is never built. */
const TARGET_ARCH_DIR = "arch/x86";

/** Whether the directory is descended into, and as what (the chain of parents' Makefiles). */
function dirState(
  tree: string,
  dir: string,
  config: Map<string, string>,
  memo: Map<string, Assignment[]>,
): ConfigState {
  const parent = dirname(dir);
  if (parent === "." || dir === TARGET_ARCH_DIR) return "y";
  if (parent === "arch") return "n"; // another architecture's code
  const own = stateIn(tree, parent, `${basename(dir)}/`, config, memo, new Set());
  const here = own ?? (parent === TARGET_ARCH_DIR ? "y" : "unknown");
  return minState(here, dirState(tree, parent, config, memo));
}

/** Whether kbuild descends into `dir` (e.g. drivers/net/wireless/ath) in this configuration. */
export function directoryConfigState(
  tree: string,
  dir: string,
  config: Map<string, string>,
  memo = new Map<string, Assignment[]>(),
): ConfigState {
  return dir === "." || dir === "" ? "y" : dirState(tree, dir, config, memo);
}

/** Whether `object` (e.g. net/unix/af_unix.o) is built in this configuration: y, m, n or unknown. */
export function unitConfigState(
  tree: string,
  object: string,
  config: Map<string, string>,
  memo = new Map<string, Assignment[]>(),
): ConfigState {
  const dir = dirname(object);
  const own = stateIn(tree, dir, basename(object), config, memo, new Set()) ?? "unknown";
  if (own === "n") return "n";
  return minState(own, dirState(tree, dir, config, memo));
}

/** The klp object a unit belongs to: "vmlinux" or the module name with '-' as '_'. */
export function klpObjectOf(command: UnitCommand): string {
  if (!command.isModule) return "vmlinux";
  if (!command.modName) throw new Error(`module unit ${command.output} has no KBUILD_MODNAME`);
  return command.modName.replaceAll("-", "_");
}

/** The target's .ko for a module name, relative to modulesDir (from modules.order), or undefined. */
export function moduleFileOf(modulesDir: string, klpObject: string): string | undefined {
  const orderFile = join(modulesDir, "modules.order");
  if (!existsSync(orderFile)) return undefined;
  for (const line of readFileSync(orderFile, "utf8").split("\n")) {
    const ko = line.trim();
    if (!ko) continue;
    const name = basename(ko)
      .replace(/\.ko(\.(xz|zst|gz))?$/, "")
      .replaceAll("-", "_");
    if (name !== klpObject) continue;
    const shipped = shippedModuleFile(modulesDir, ko);
    if (shipped) return shipped;
  }
  return undefined;
}

/** The object path kbuild makes from a C source path. */
export function objectOfSource(source: string): string {
  return source.replace(/\.c$/, ".o");
}
