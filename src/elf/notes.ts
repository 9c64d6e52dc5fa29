// SPDX-License-Identifier: GPL-2.0-only
// ELF notes (SHT_NOTE sections, PT_NOTE segments, and the copies the kernel shows in
// /sys/module/NAME/notes/): a sequence of namesz, descsz, type (32-bit little-endian), then
// the name and the descriptor, each padded to 4 bytes.

export interface ElfNote {
  /** The owner's name with its terminating NUL, e.g. "GNU\0". */
  name: string;
  type: number;
  desc: Uint8Array;
}

/** The notes in `data`, in order; a truncated note ends the walk. */
export function* elfNotes(data: Uint8Array): Generator<ElfNote> {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const pad = (n: number) => (n + 3) & ~3;
  for (let at = 0; at + 12 <= data.length; ) {
    const namesz = view.getUint32(at, true);
    const descsz = view.getUint32(at + 4, true);
    const type = view.getUint32(at + 8, true);
    const descAt = at + 12 + pad(namesz);
    if (descAt + descsz > data.length) return;
    const name = Buffer.from(data.subarray(at + 12, at + 12 + namesz)).toString("latin1");
    yield { name, type, desc: data.subarray(descAt, descAt + descsz) };
    at = descAt + pad(descsz);
  }
}
