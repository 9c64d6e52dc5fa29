// SPDX-License-Identifier: GPL-2.0-only
// String tables for the writer: keep a table's original bytes when every name in it is
// unchanged (byte identity), otherwise build a fresh one with each distinct name once.

/** Something named in a string table, with what the reader saw. */
export interface Named {
  name: string;
  origin: { name: string; nameOffset: number } | null;
}

export interface StringTablePlan {
  bytes: Uint8Array;
  /** Offset of each entry's name, in the order the entries were given. */
  offsets: Uint32Array;
}

/** Keeps `original` if every entry still has the name it was read with; else rebuilds. */
export function planStringTable(entries: readonly Named[], original: Uint8Array): StringTablePlan {
  const offsets = new Uint32Array(entries.length);
  let keep = true;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as Named;
    if (
      e.origin === null ||
      e.origin.name !== e.name ||
      (e.origin.nameOffset >= original.length && e.name !== "")
    ) {
      keep = false;
      break;
    }
    offsets[i] = e.origin.nameOffset;
  }
  if (keep) return { bytes: original, offsets };
  return buildStringTable(entries);
}

/** A fresh table: a leading NUL, then each distinct non-empty name once, in first-use order. */
function buildStringTable(entries: readonly Named[]): StringTablePlan {
  const offsets = new Uint32Array(entries.length);
  const seen = new Map<string, number>();
  const parts: string[] = ["\0"];
  let size = 1;
  for (let i = 0; i < entries.length; i++) {
    const name = (entries[i] as Named).name;
    if (name === "") continue;
    let at = seen.get(name);
    if (at === undefined) {
      at = size;
      seen.set(name, at);
      parts.push(name, "\0");
      size += name.length + 1;
    }
    offsets[i] = at;
  }
  if (size > 0xffffffff) throw new Error("string table larger than 4 GiB");
  return { bytes: Buffer.from(parts.join(""), "latin1"), offsets };
}
