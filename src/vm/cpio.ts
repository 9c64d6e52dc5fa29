// SPDX-License-Identifier: GPL-2.0-only
// A writer for the "newc" cpio format the kernel unpacks as an initramfs. Written here (a few
// dozen lines) so building the VM's initramfs needs no cpio binary and no root-owned files:
// every entry's owner, mode and mtime are set explicitly, which also makes the archive
// byte-for-byte reproducible.

export type CpioEntry =
  | { kind: "dir"; path: string; mode?: number }
  | { kind: "file"; path: string; data: Uint8Array; mode?: number }
  | { kind: "symlink"; path: string; target: string };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

function hex8(value: number): string {
  return value.toString(16).padStart(8, "0");
}

function pad4(length: number): number {
  return (4 - (length % 4)) % 4;
}

function header(ino: number, mode: number, size: number, nameSize: number): string {
  // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor,
  // rdevminor, namesize, check
  const fields = [ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, nameSize, 0];
  return `070701${fields.map(hex8).join("")}`;
}

function record(ino: number, mode: number, name: string, data: Uint8Array): Uint8Array[] {
  const nameBytes = Buffer.from(`${name}\0`, "utf8");
  const head = Buffer.from(header(ino, mode, data.length, nameBytes.length), "ascii");
  const namePad = pad4(head.length + nameBytes.length);
  return [head, nameBytes, new Uint8Array(namePad), data, new Uint8Array(pad4(data.length))];
}

/** Builds an uncompressed newc archive (the kernel unpacks it without a decompressor). */
export function buildCpio(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  entries.forEach((entry, i) => {
    const name = entry.path.replace(/^\/+/, "");
    if (!name) throw new Error("cpio entry with an empty path");
    const ino = i + 1;
    if (entry.kind === "dir")
      parts.push(...record(ino, S_IFDIR | (entry.mode ?? 0o755), name, new Uint8Array()));
    else if (entry.kind === "file")
      parts.push(...record(ino, S_IFREG | (entry.mode ?? 0o644), name, entry.data));
    else parts.push(...record(ino, S_IFLNK | 0o777, name, Buffer.from(entry.target, "utf8")));
  });
  parts.push(...record(0, 0, "TRAILER!!!", new Uint8Array()));
  return Buffer.concat(parts);
}
