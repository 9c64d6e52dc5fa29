// SPDX-License-Identifier: GPL-2.0-only
// The target's uncompressed kernel image (scripts/extract-vmlinux output, an ELF64 executable
// without symbols): reading the bytes at a kernel virtual address through its PT_LOAD program
// headers. With nokaslr kallsyms, those addresses are where the running kernel's code is.
import { readFileSync } from "node:fs";
import { UserError } from "../errors/user-error.ts";

interface LoadSegment {
  vaddr: bigint;
  offset: number;
  filesz: number;
}

const PT_LOAD = 1;

export class KernelImage {
  constructor(
    private readonly bytes: Uint8Array,
    private readonly segments: LoadSegment[],
  ) {}

  /** `length` bytes at virtual address `address`, or undefined when not in the file. */
  read(address: bigint, length: number): Uint8Array | undefined {
    for (const seg of this.segments) {
      if (address < seg.vaddr) continue;
      const delta = address - seg.vaddr;
      if (delta + BigInt(length) > BigInt(seg.filesz)) continue;
      const start = seg.offset + Number(delta);
      return this.bytes.subarray(start, start + length);
    }
    return undefined;
  }
}

/** Parses the ELF64 header and program headers of a kernel image. */
export function parseKernelImage(bytes: Uint8Array, what = "the kernel image"): KernelImage {
  const bad = (why: string) => new UserError(`${what} is not a usable vmlinux: ${why}.`);
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46)
    throw bad("no ELF magic");
  if (bytes[4] !== 2 || bytes[5] !== 1) throw bad("not ELF64 little-endian");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const phoff = Number(view.getBigUint64(32, true));
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  if (phentsize < 56 || phoff + phnum * phentsize > bytes.length) throw bad("program headers out of range");
  const segments: LoadSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (view.getUint32(at, true) !== PT_LOAD) continue;
    const offset = Number(view.getBigUint64(at + 8, true));
    const vaddr = view.getBigUint64(at + 16, true);
    const filesz = Number(view.getBigUint64(at + 32, true));
    if (offset + filesz > bytes.length) throw bad(`segment ${i} extends past the end of the file`);
    segments.push({ vaddr, offset, filesz });
  }
  if (segments.length === 0) throw bad("no PT_LOAD segments");
  return new KernelImage(bytes, segments);
}

const cache = new Map<string, KernelImage>();

/** Reads a kernel image once per process. */
export function loadKernelImage(path: string): KernelImage {
  let image = cache.get(path);
  if (!image) {
    image = parseKernelImage(readFileSync(path), path);
    cache.set(path, image);
  }
  return image;
}
