// SPDX-License-Identifier: GPL-2.0-only
// Builds the VM's initramfs: a static busybox, the target's own virtio/9p/overlay modules and
// /init (src/vm/init-script.ts). Cached per kernel release and content hash, written atomically,
// so a second run reuses it and a killed build never leaves a half-written archive in use.
// Other guests (the lab's, src/lab) pass their own modules and /init as an InitramfsKind.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { MissingToolError, UserError } from "../errors/user-error.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { cacheRoot } from "../util/cache.ts";
import { buildCpio, type CpioEntry } from "./cpio.ts";
import { initScript, minimalInitScript } from "./init-script.ts";
import {
  canMountHostRoot,
  collectGuestModules,
  MINIMAL_GUEST_MODULES,
  REQUIRED_GUEST_MODULES,
} from "./kernel-modules.ts";

/** Bump when the archive's layout changes in a way the hashed inputs do not show. */
const FORMAT_VERSION = "1";

const BUSYBOX_CANDIDATES = ["/bin/busybox", "/usr/bin/busybox"];

/** True when an ELF executable has no PT_INTERP program header (no dynamic loader needed). */
function isStaticElf(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 64 || view.getUint32(0) !== 0x7f454c46 || bytes[4] !== 2) return false;
  const phoff = Number(view.getBigUint64(32, true));
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > bytes.length) return false;
    if (view.getUint32(at, true) === 3 /* PT_INTERP */) return false;
  }
  return true;
}

/** The static busybox that /init runs on (the initramfs has no C library). */
function findStaticBusybox(): { path: string; bytes: Uint8Array } {
  const path = BUSYBOX_CANDIDATES.find((candidate) => existsSync(candidate));
  if (!path) throw new MissingToolError("busybox", "busybox-static");
  const bytes = readFileSync(path);
  if (!isStaticElf(bytes)) {
    throw new UserError(
      `${path} is dynamically linked; the VM needs a static one: install it with 'apt-get install busybox-static'.`,
    );
  }
  return { path, bytes };
}

export interface InitramfsInputs {
  release: string;
  modulesDir: string;
}

/** What goes into one kind of initramfs besides busybox: the target's modules and /init. */
export interface InitramfsKind {
  /** Names the cached archive (`<name>-<hash>.cpio`); older archives of the same name are pruned. */
  name: string;
  /** Modules wanted (their dependencies are added, built-in ones skipped). */
  modules: readonly string[];
  /** The /init script, given the modules in load order. */
  init: (moduleNames: readonly string[]) => string;
  /** The guest mounts the host's root (false: busybox from the initramfs only). */
  hostRoot: boolean;
}

/** The initramfs of `hotpatch vm`: the host's root over 9p under a tmpfs overlay. */
export const VM_INITRAMFS: InitramfsKind = {
  name: "initramfs",
  modules: REQUIRED_GUEST_MODULES,
  init: initScript,
  hostRoot: true,
};

/** `hotpatch vm` on a kernel without 9p (Debian's -cloud-amd64): busybox commands only; each
 * run appends its own files as a second archive (minimalInitScript). */
export const MINIMAL_VM_INITRAMFS: InitramfsKind = {
  name: "initramfs-minimal",
  modules: MINIMAL_GUEST_MODULES,
  init: minimalInitScript,
  hostRoot: false,
};

export interface Initramfs {
  path: string;
  /** True when this call built it (false: taken from the cache). */
  built: boolean;
  /** False for a kernel without 9p: the guest runs busybox commands from the initramfs only
   * (minimalInitScript), and each run appends its own files as a second archive. */
  hostRoot: boolean;
}

function cachePathFor(release: string, kind: string, hash: string): string {
  return join(cacheRoot(), "vm", release, `${kind}-${hash}.cpio`);
}

/** Returns the cached initramfs for these inputs, building it first if needed. */
export async function ensureInitramfs(
  inputs: InitramfsInputs,
  kind: InitramfsKind = canMountHostRoot(inputs.modulesDir) ? VM_INITRAMFS : MINIMAL_VM_INITRAMFS,
): Promise<Initramfs> {
  const busybox = findStaticBusybox();
  const modules = await collectGuestModules(inputs.modulesDir, kind.modules);
  const init = kind.init(modules.map((m) => m.name));

  const hash = createHash("sha256");
  hash.update(`format ${FORMAT_VERSION}\0release ${inputs.release}\0`);
  hash.update(init);
  hash.update(busybox.bytes);
  for (const module of modules) hash.update(`\0${module.name}\0`).update(module.bytes);
  const path = cachePathFor(inputs.release, kind.name, hash.digest("hex").slice(0, 16));
  if (existsSync(path)) return { path, built: false, hostRoot: kind.hostRoot };

  const entries: CpioEntry[] = [
    { kind: "dir", path: "bin" },
    { kind: "file", path: "bin/busybox", data: busybox.bytes, mode: 0o755 },
    { kind: "symlink", path: "bin/sh", target: "busybox" },
    { kind: "dir", path: "lib" },
    { kind: "dir", path: "lib/modules" },
    { kind: "dir", path: "lib/modules/hotpatch" },
    ...modules.map(
      (m): CpioEntry => ({ kind: "file", path: `lib/modules/hotpatch/${m.name}.ko`, data: m.bytes }),
    ),
    { kind: "file", path: "init", data: Buffer.from(init, "utf8"), mode: 0o755 },
  ];
  // Same inputs give the same bytes, so two concurrent builders race harmlessly.
  writeFileAtomic(path, buildCpio(entries));
  pruneOthers(path, kind.name);
  return { path, built: true, hostRoot: kind.hostRoot };
}

/** Older versions of the same kind of initramfs for the release are dead weight once a new one exists. */
function pruneOthers(current: string, kind: string): void {
  const dir = dirname(current);
  const sameKind = new RegExp(`^${kind}-[0-9a-f]{16}\\.cpio$`);
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (path !== current && sameKind.test(name)) rmSync(path, { force: true });
  }
}
