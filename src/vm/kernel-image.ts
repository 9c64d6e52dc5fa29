// SPDX-License-Identifier: GPL-2.0-only
// Which kernel file QEMU starts. Under TCG the bzImage's own decompressor (xz for Debian) and
// its KASLR relocation pass take ~3 s of the boot; QEMU can instead start the uncompressed ELF
// vmlinux directly through its PVH entry (CONFIG_PVH, a Xen ELF note), with the same kernel
// code. The uncompressed image is unpacked from the vmlinuz once and cached. The price: no
// decompressor, no KASLR (addresses are the link-time ones, as with `nokaslr`).
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { execa } from "execa";
import { elfNotes } from "../elf/index.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { cacheRoot } from "../util/cache.ts";

const PT_NOTE = 4;
/** XEN_ELFNOTE_PHYS32_ENTRY: the 32-bit PVH entry point QEMU jumps to. */
const XEN_ELFNOTE_PHYS32_ENTRY = 18;

function readRange(fd: number, offset: number, length: number): Uint8Array {
  const buffer = new Uint8Array(length);
  const got = readSync(fd, buffer, 0, length, offset);
  return buffer.subarray(0, got);
}

/** True when the ELF notes of `bytes` (a whole note segment) include Xen's PVH entry note. */
export function notesHavePvhEntry(notes: Uint8Array): boolean {
  for (const note of elfNotes(notes)) {
    if (note.name === "Xen\0" && note.type === XEN_ELFNOTE_PHYS32_ENTRY) return true;
  }
  return false;
}

/** True when `path` is an ELF64 x86 kernel image QEMU can start through its PVH entry. */
function hasPvhEntry(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const header = readRange(fd, 0, 64);
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    if (header.length < 64 || view.getUint32(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1)
      return false;
    const phoff = Number(view.getBigUint64(32, true));
    const phentsize = view.getUint16(54, true);
    const phnum = view.getUint16(56, true);
    const table = readRange(fd, phoff, phentsize * phnum);
    const phdrs = new DataView(table.buffer, table.byteOffset, table.byteLength);
    for (let i = 0; i < phnum && (i + 1) * phentsize <= table.length; i++) {
      const at = i * phentsize;
      if (phdrs.getUint32(at, true) !== PT_NOTE) continue;
      const offset = Number(phdrs.getBigUint64(at + 8, true));
      const size = Number(phdrs.getBigUint64(at + 32, true));
      if (size > 1 << 20) continue;
      if (notesHavePvhEntry(readRange(fd, offset, size))) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/** The compressed payload of a bzImage (boot protocol >= 2.08 gives its offset and length). */
export function bzImagePayload(image: Uint8Array): Uint8Array | undefined {
  if (image.length < 0x250) return undefined;
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (view.getUint32(0x202, true) !== 0x53726448 /* "HdrS" */ || view.getUint16(0x206, true) < 0x0208)
    return undefined;
  const setupSectors = image[0x1f1] || 4;
  const start = (setupSectors + 1) * 512 + view.getUint32(0x248, true);
  const length = view.getUint32(0x24c, true);
  if (start + length > image.length) return undefined;
  return image.subarray(start, start + length);
}

/** Decompresses a payload; the kernel appends its size after the stream, which tools may call garbage. */
async function decompress(payload: Uint8Array): Promise<Uint8Array | undefined> {
  const starts = (...magic: number[]) => magic.every((byte, i) => payload[i] === byte);
  if (starts(0x1f, 0x8b)) {
    try {
      return gunzipSync(payload);
    } catch {
      return undefined;
    }
  }
  const tool = starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)
    ? ["xz", "-dc", "--single-stream"]
    : starts(0x28, 0xb5, 0x2f, 0xfd)
      ? ["zstd", "-dc"]
      : undefined;
  if (!tool) return undefined;
  const [program, ...args] = tool as [string, ...string[]];
  const result = await execa(program, args, { input: payload, encoding: "buffer", reject: false });
  return result.stdout.length > 0 ? result.stdout : undefined;
}

function isElf(bytes: Uint8Array): boolean {
  return (
    bytes.length > 64 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46
  );
}

/**
 * An uncompressed, PVH-bootable image of `vmlinuz`: `knownVmlinux` when given and bootable,
 * else one unpacked from the vmlinuz into the cache. Undefined when the kernel cannot be
 * started that way (no PVH note, unknown compression): boot the vmlinuz then.
 */
export async function pvhKernelFor(
  vmlinuz: string,
  release: string,
  knownVmlinux?: string,
): Promise<string | undefined> {
  if (knownVmlinux && existsSync(knownVmlinux) && hasPvhEntry(knownVmlinux)) return knownVmlinux;
  const image = readFileSync(vmlinuz);
  const hash = createHash("sha256").update(image).digest("hex").slice(0, 16);
  const cached = join(cacheRoot(), "vm", release, `vmlinux-${hash}`);
  const noPvh = `${cached}.no-pvh`;
  if (existsSync(cached)) return cached;
  if (existsSync(noPvh)) return undefined;
  const payload = bzImagePayload(image);
  const elf = payload && (await decompress(payload));
  if (!elf || !isElf(elf)) return undefined; // unknown format or tool missing: try again next time
  writeFileAtomic(cached, elf);
  if (hasPvhEntry(cached)) return cached;
  rmSync(cached, { force: true });
  writeFileAtomic(noPvh, "");
  return undefined;
}
