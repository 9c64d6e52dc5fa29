// SPDX-License-Identifier: GPL-2.0-only
// Picking the kernel file to boot: the PVH note that lets QEMU start an uncompressed vmlinux,
// and the payload of a bzImage.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bzImagePayload, notesHavePvhEntry } from "../../../src/vm/kernel-image.ts";

function note(name: string, type: number, desc: Uint8Array): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, "latin1");
  const pad = (b: Uint8Array) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const head = Buffer.alloc(12);
  head.writeUInt32LE(nameBytes.length, 0);
  head.writeUInt32LE(desc.length, 4);
  head.writeUInt32LE(type, 8);
  return Buffer.concat([head, pad(nameBytes), pad(desc)]);
}

test("the Xen PHYS32_ENTRY note is found among other notes", () => {
  const notes = Buffer.concat([
    note("GNU", 3, Buffer.alloc(20)),
    note("Xen", 6, Buffer.from("linux\0")),
    note("Xen", 18, Buffer.alloc(4)),
  ]);
  assert.equal(notesHavePvhEntry(notes), true);
  assert.equal(
    notesHavePvhEntry(Buffer.concat([note("GNU", 3, Buffer.alloc(20)), note("Xen", 6, Buffer.alloc(4))])),
    false,
  );
  assert.equal(notesHavePvhEntry(note("Foo", 18, Buffer.alloc(4))), false);
  assert.equal(notesHavePvhEntry(Buffer.alloc(7)), false);
});

test("the bzImage payload is located from the setup header", () => {
  const image = Buffer.alloc(8192);
  image[0x1f1] = 3; // setup sectors: protected-mode code starts at (3 + 1) * 512
  image.writeUInt32LE(0x53726448, 0x202); // "HdrS"
  image.writeUInt16LE(0x020f, 0x206);
  image.writeUInt32LE(100, 0x248);
  image.writeUInt32LE(6, 0x24c);
  Buffer.from("PAYLDX").copy(image, 4 * 512 + 100);
  assert.equal(Buffer.from(bzImagePayload(image) ?? []).toString(), "PAYLDX");
  assert.equal(bzImagePayload(Buffer.alloc(8192)), undefined, "no HdrS magic");
});
