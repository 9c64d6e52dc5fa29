// SPDX-License-Identifier: GPL-2.0-only
// A stand-in lib/modules/<release> tree for tests: modules.order, modules.builtin and small
// fake .ko files that carry only what the VM code reads (their `depends=` modinfo).
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface FakeModule {
  path: string;
  depends?: string[];
  /** Store it xz-compressed (needs the xz tool). */
  xz?: boolean;
}

export function fakeKo(name: string, depends: string[] = []): Buffer {
  return Buffer.from(
    `\x7fELF fake module\0name=${name}\0depends=${depends.join(",")}\0vermagic=test\0`,
    "latin1",
  );
}

/** The modules the VM needs, as in Debian 6.1 (virtio_pci_legacy_dev made built-in here). */
export const DEBIAN_LIKE: FakeModule[] = [
  { path: "kernel/drivers/virtio/virtio.ko" },
  { path: "kernel/drivers/virtio/virtio_ring.ko" },
  { path: "kernel/drivers/virtio/virtio_pci_modern_dev.ko" },
  {
    path: "kernel/drivers/virtio/virtio_pci.ko",
    depends: ["virtio_ring", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio"],
  },
  { path: "kernel/fs/netfs/netfs.ko" },
  { path: "kernel/fs/fscache/fscache.ko", depends: ["netfs"], xz: true },
  { path: "kernel/net/9p/9pnet.ko" },
  { path: "kernel/net/9p/9pnet_virtio.ko", depends: ["virtio", "9pnet", "virtio_ring"] },
  { path: "kernel/fs/9p/9p.ko", depends: ["9pnet", "fscache", "netfs"] },
  { path: "kernel/fs/overlayfs/overlay.ko" },
  { path: "kernel/drivers/char/virtio_console.ko", depends: ["virtio", "virtio_ring"] },
  { path: "kernel/sound/unrelated.ko" },
];

/** A -cloud-amd64 kernel: no 9p at all (CONFIG_NET_9P off), so the guest cannot reach the host. */
export const CLOUD_LIKE: FakeModule[] = DEBIAN_LIKE.filter(
  (m) => !/\/(9p|9pnet|9pnet_virtio)\.ko$/.test(m.path),
);

export function writeFakeModulesDir(
  dir: string,
  modules: FakeModule[] = DEBIAN_LIKE,
  builtin = ["kernel/drivers/virtio/virtio_pci_legacy_dev.ko"],
): void {
  mkdirSync(dir, { recursive: true });
  for (const module of modules) {
    const name = module.path.replace(/^.*\//, "").replace(/\.ko$/, "");
    const file = join(dir, module.path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, fakeKo(name, module.depends));
    if (module.xz) execFileSync("xz", ["-f", file]);
  }
  writeFileSync(join(dir, "modules.order"), modules.map((m) => `${m.path}\n`).join(""));
  writeFileSync(join(dir, "modules.builtin"), builtin.map((p) => `${p}\n`).join(""));
}
