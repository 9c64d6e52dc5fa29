// SPDX-License-Identifier: GPL-2.0-only
// Run-pre matching building blocks: masked comparison, relocation widths, the kernel image's
// address-to-file-offset mapping.
import assert from "node:assert/strict";
import { test } from "node:test";
import { R_X86_64 } from "../../../src/elf/index.ts";
import { UserError } from "../../../src/errors/user-error.ts";
import { parseKernelImage } from "../../../src/kernel/image.ts";
import { firstMismatch, relocationWidth } from "../../../src/kernel/match.ts";

test("firstMismatch ignores bytes inside relocation fields only", () => {
  const ours = Uint8Array.from([0xe8, 0, 0, 0, 0, 0x90, 0xc3]);
  const theirs = Uint8Array.from([0xe8, 1, 2, 3, 4, 0x90, 0xc3]);
  assert.equal(firstMismatch(ours, theirs, [{ at: 1, width: 4 }]), -1);
  assert.equal(firstMismatch(ours, theirs, [{ at: 1, width: 3 }]), 4);
  assert.equal(firstMismatch(ours, theirs, []), 1);
  theirs[6] = 0xcc;
  assert.equal(firstMismatch(ours, theirs, [{ at: 1, width: 4 }]), 6);
  assert.equal(firstMismatch(ours, theirs.subarray(0, 5), []), 5);
});

test("relocation field widths", () => {
  assert.equal(relocationWidth(R_X86_64.PC32), 4);
  assert.equal(relocationWidth(R_X86_64.PLT32), 4);
  assert.equal(relocationWidth(R_X86_64["32S"]), 4);
  assert.equal(relocationWidth(R_X86_64["64"]), 8);
  assert.equal(relocationWidth(R_X86_64.NONE), 0);
});

/** A minimal ELF64 executable with one PT_LOAD mapping vaddr 0xffffffff81000000 -> offset 0x100. */
function tinyImage(): Uint8Array {
  const bytes = new Uint8Array(0x200);
  const view = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  view.setBigUint64(32, 64n, true); // e_phoff
  view.setUint16(54, 56, true); // e_phentsize
  view.setUint16(56, 1, true); // e_phnum
  view.setUint32(64, 1, true); // PT_LOAD
  view.setBigUint64(64 + 8, 0x100n, true); // p_offset
  view.setBigUint64(64 + 16, 0xffffffff81000000n, true); // p_vaddr
  view.setBigUint64(64 + 32, 0x80n, true); // p_filesz
  bytes.set([0xaa, 0xbb, 0xcc], 0x110);
  return bytes;
}

test("kernel image: virtual addresses map through PT_LOAD; outside is undefined", () => {
  const image = parseKernelImage(tinyImage());
  assert.deepEqual([...(image.read(0xffffffff81000010n, 3) ?? [])], [0xaa, 0xbb, 0xcc]);
  assert.equal(image.read(0xffffffff81000080n, 1), undefined);
  assert.equal(image.read(0xffffffff80000000n, 1), undefined);
});

test("kernel image: garbage is a UserError", () => {
  assert.throws(() => parseKernelImage(new Uint8Array(10)), UserError);
  const bad = tinyImage();
  new DataView(bad.buffer).setUint16(56, 100, true);
  assert.throws(() => parseKernelImage(bad), /program headers out of range/);
});
