// SPDX-License-Identifier: GPL-2.0-only
// A target is a kernel that hotpatch builds for: today a Debian kernel ABI name such as
// `debian:6.1.0-50-amd64`. This file names targets and says where each prepared part lives in
// the cache; src/kernel/prepare*.ts fills it, every other stage only reads it.
import { join } from "node:path";
import { UserError } from "../errors/user-error.ts";
import { cacheRoot } from "../util/cache.ts";

export interface TargetId {
  distro: "debian";
  /** The kernel release as `uname -r` prints it, e.g. `6.1.0-50-amd64`. */
  release: string;
}

export const DEFAULT_TARGET = "debian:6.1.0-50-amd64";

/** Debian's two ABI name shapes: `6.1.0-50-amd64` (stable's ABI number) and
 * `6.12.107+deb12-amd64` (backports since 6.12: the upstream version plus a `+debN` suffix);
 * each followed by one or more flavour words (`amd64`, `cloud-amd64`, `rt-amd64`). */
const DEBIAN_RELEASE = /^(\d+\.\d+\.\d+-\d+|\d+\.\d+\.\d+\+deb\d+)(-[a-z0-9]+)+$/;

export function parseTargetName(name: string): TargetId {
  const [distro, release, ...rest] = name.split(":");
  if (distro !== "debian" || !release || rest.length > 0 || !DEBIAN_RELEASE.test(release)) {
    throw new UserError(
      `'${name}' is not a target name: use debian:<kernel ABI name>, e.g. ${DEFAULT_TARGET}.`,
    );
  }
  return { distro, release };
}

export function targetName(id: TargetId): string {
  return `${id.distro}:${id.release}`;
}

/** Paths of one prepared target. Everything is inside `root`, which is complete only when
 * `manifest` exists (it is written last; the root is built in place under `<root>.lock`,
 * because kbuild keeps absolute paths, see src/kernel/prepare.ts). */
export interface TargetPaths {
  root: string;
  /** target.json: versions, package names, sizes, timings; its presence means "prepared". */
  manifest: string;
  /** The linux-image .deb extracted (boot/, lib/modules/<release>/). */
  imageDir: string;
  /** boot/vmlinuz-<release>: the compressed kernel the VM boots. */
  vmlinuz: string;
  /** lib/modules/<release>: the target's own .ko files, modules.builtin, modules.order. */
  modulesDir: string;
  /** Uncompressed kernel image (scripts/extract-vmlinux): the running kernel's code. */
  vmlinux: string;
  /** /proc/kallsyms of the target booted with nokaslr: link-time addresses, all symbols. */
  kallsyms: string;
  /** The configured, prepared kernel source tree (make prepare modules_prepare done). */
  tree: string;
  /** The headers package's Module.symvers (exported symbols and CRCs), also copied into tree. */
  symvers: string;
  /** Logs of every tool run while preparing. */
  logDir: string;
}

export function targetsRoot(): string {
  return join(cacheRoot(), "targets");
}

export function targetPaths(id: TargetId, root = join(targetsRoot(), id.distro, id.release)): TargetPaths {
  const imageDir = join(root, "image");
  return {
    root,
    manifest: join(root, "target.json"),
    imageDir,
    vmlinuz: join(imageDir, "boot", `vmlinuz-${id.release}`),
    modulesDir: join(imageDir, "lib", "modules", id.release),
    vmlinux: join(root, "vmlinux"),
    kallsyms: join(root, "kallsyms"),
    tree: join(root, "tree"),
    symvers: join(root, "Module.symvers"),
    logDir: join(root, "logs"),
  };
}
