// SPDX-License-Identifier: GPL-2.0-only
// Finds the target kernel's own modules that the VM's initramfs needs (virtio, 9p, overlay),
// in the target's lib/modules tree: built-in ones are skipped (modules.builtin), compressed
// ones are unpacked, and the load order follows each module's `depends=` modinfo.
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { UserError } from "../errors/user-error.ts";
import { readDecompressed } from "../util/decompress.ts";

/** What the guest needs: the host's root over 9p with a writable overlay, and a virtio-serial port. */
export const REQUIRED_GUEST_MODULES = [
  "virtio",
  "virtio_ring",
  "virtio_pci",
  "9pnet",
  "9pnet_virtio",
  "9p",
  "overlay",
  "virtio_console",
] as const;

/**
 * What a guest of a kernel without 9p needs (Debian's -cloud-amd64 kernels: CONFIG_NET_9P is
 * off): only the virtio-serial port for the command's output. Such a guest runs busybox
 * commands from the initramfs and cannot reach the host's files.
 */
export const MINIMAL_GUEST_MODULES = ["virtio", "virtio_ring", "virtio_pci", "virtio_console"] as const;

/** The 9p modules the host's root needs (built in or shipped as modules). */
const HOST_ROOT_MODULES = ["9pnet", "9pnet_virtio", "9p"] as const;

export interface GuestModule {
  /** The module's name as the kernel spells it (underscores). */
  name: string;
  /** Path of the module file inside the target's modules directory. */
  path: string;
  /** Names of the modules it needs (from its `depends=` modinfo), possibly built-in ones. */
  depends: string[];
}

const MODULE_SUFFIXES = [".ko", ".ko.xz", ".ko.zst", ".ko.gz"] as const;

/** `foo-bar.ko.xz` -> `foo_bar`: the kernel treats '-' and '_' in module names alike. */
export function moduleNameOf(path: string): string {
  let name = basename(path);
  for (const suffix of MODULE_SUFFIXES) {
    if (name.endsWith(suffix)) {
      name = name.slice(0, -suffix.length);
      break;
    }
  }
  return name.replaceAll("-", "_");
}

/** Module names listed in a modules.builtin / modules.order file (one relative path a line). */
function namesInModuleList(text: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const line of text.split("\n")) {
    const path = line.trim();
    if (path) names.set(moduleNameOf(path), path);
  }
  return names;
}

/** The `depends=` field of a module's .modinfo (a NUL-separated list of key=value strings). */
export function dependsOf(moduleBytes: Uint8Array): string[] {
  const text = Buffer.from(moduleBytes.buffer, moduleBytes.byteOffset, moduleBytes.byteLength).toString(
    "latin1",
  );
  const at = text.indexOf("\0depends=");
  if (at < 0) return [];
  const end = text.indexOf("\0", at + 1);
  const value = text.slice(at + "\0depends=".length, end < 0 ? undefined : end);
  return value
    .split(",")
    .map((d) => d.trim().replaceAll("-", "_"))
    .filter(Boolean);
}

/** Orders modules so each comes after the modules it depends on. */
export function loadOrder(modules: Map<string, GuestModule>): GuestModule[] {
  const ordered: GuestModule[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string): void => {
    const module = modules.get(name);
    if (!module || state.get(name) === "done") return;
    if (state.get(name) === "visiting") throw new Error(`module dependency loop through ${name}`);
    state.set(name, "visiting");
    for (const dep of module.depends) visit(dep);
    state.set(name, "done");
    ordered.push(module);
  };
  for (const name of [...modules.keys()].sort()) visit(name);
  return ordered;
}

export interface ModuleTree {
  modulesDir: string;
  builtin: Map<string, string>;
  files: Map<string, string>;
}

function readModuleTree(modulesDir: string): ModuleTree {
  const list = (file: string): Map<string, string> => {
    const path = join(modulesDir, file);
    return existsSync(path) ? namesInModuleList(readFileSync(path, "utf8")) : new Map();
  };
  const builtin = list("modules.builtin");
  const files = list("modules.order");
  if (files.size === 0) {
    throw new UserError(
      `${modulesDir} has no modules.order: it does not look like a kernel's lib/modules/<release>.`,
    );
  }
  return { modulesDir, builtin, files };
}

/** Path of a module's file; modules.order names `.ko` even when the file is compressed. */
function moduleFile(tree: ModuleTree, name: string): string | undefined {
  const listed = tree.files.get(name);
  if (!listed) return undefined;
  const stem = join(tree.modulesDir, listed.replace(/\.ko(\.(xz|zst|gz))?$/, ""));
  for (const suffix of MODULE_SUFFIXES) {
    if (existsSync(stem + suffix)) return stem + suffix;
  }
  return undefined;
}

/** True when the kernel can mount the host's root over 9p (built-in or module). */
export function canMountHostRoot(modulesDir: string): boolean {
  const tree = readModuleTree(modulesDir);
  return HOST_ROOT_MODULES.every((name) => tree.builtin.has(name) || moduleFile(tree, name) !== undefined);
}

/**
 * The modules to put into the initramfs for `wanted` (and everything they depend on that is
 * not built in), in load order, with their bytes.
 */
export async function collectGuestModules(
  modulesDir: string,
  wanted: readonly string[] = REQUIRED_GUEST_MODULES,
): Promise<Array<GuestModule & { bytes: Uint8Array }>> {
  const tree = readModuleTree(modulesDir);
  const found = new Map<string, GuestModule & { bytes: Uint8Array }>();
  const pending = [...wanted];
  while (pending.length > 0) {
    const name = pending.shift() as string;
    if (found.has(name) || tree.builtin.has(name)) continue;
    const path = moduleFile(tree, name);
    if (!path) {
      throw new UserError(
        `The target kernel has neither a built-in nor a module '${name}' in ${modulesDir}, which the guest's initramfs needs.`,
      );
    }
    // The kernel in the guest gets plain ELF (busybox insmod does not decompress).
    const bytes = readDecompressed(path);
    const depends = dependsOf(bytes);
    found.set(name, { name, path, depends, bytes });
    pending.push(...depends);
  }
  return loadOrder(found) as Array<GuestModule & { bytes: Uint8Array }>;
}
