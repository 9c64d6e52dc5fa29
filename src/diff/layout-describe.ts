// SPDX-License-Identifier: GPL-2.0-only
// The evidence for a changed layout, in a kernel engineer's words: which members moved, grew,
// changed type, appeared or went away, with their old and new offsets and sizes. Shapes
// (./layout-shapes.ts) decide whether a layout changed; this only says how, matching members
// by name (a member renamed and changed at once shows as removed and added).
import {
  byteSize,
  type Die,
  DW_TAG,
  isAggregate,
  memberBitOffset,
  memberBitSize,
  resolved,
  typeText,
} from "../elf/dwarf/index.ts";
import type { Shapes } from "./layout-shapes.ts";
import type { MemberChange, MemberLayout } from "./types.ts";

interface PlacedMember {
  name: string;
  bitOffset: number;
  die: Die;
}

/**
 * The members of a struct or union with their bit offsets from its start. Members of an
 * anonymous struct or union are listed in its place, under their own names, as C code
 * reaches them (`skb->dev` through the anonymous union that holds it).
 */
export function placedMembers(aggregate: Die, base = 0, depth = 0): PlacedMember[] {
  const out: PlacedMember[] = [];
  for (const m of aggregate.children) {
    if (m.tag !== DW_TAG.member) continue;
    const bitOffset = base + (memberBitOffset(m) ?? 0);
    const type = resolved(m.type);
    if (m.name === undefined) {
      if (type && isAggregate(type) && depth < 32) out.push(...placedMembers(type, bitOffset, depth + 1));
      continue; // an unnamed bit-field is padding
    }
    out.push({ name: m.name, bitOffset, die: m });
  }
  return out;
}

function layoutOf(member: PlacedMember): MemberLayout {
  const bits = memberBitSize(member.die);
  const size = byteSize(member.die.type);
  return {
    offset: Math.floor(member.bitOffset / 8),
    ...(bits !== undefined ? { bit: member.bitOffset % 8, bits } : {}),
    ...(size !== undefined ? { size } : {}),
    type: typeText(member.die.type),
  };
}

/** Member by member, what differs between two layouts of one struct or union. */
export function memberChanges(
  oldType: Die,
  newType: Die,
  oldShapes: Shapes,
  newShapes: Shapes,
): MemberChange[] {
  const before = new Map(placedMembers(oldType).map((m) => [m.name, m]));
  const after = placedMembers(newType);
  const changes: MemberChange[] = [];
  for (const n of after) {
    const o = before.get(n.name);
    if (o === undefined) {
      changes.push({ member: n.name, new: layoutOf(n) });
      continue;
    }
    const oldLayout = layoutOf(o);
    const newLayout = layoutOf(n);
    const moved =
      oldLayout.offset !== newLayout.offset ||
      oldLayout.bit !== newLayout.bit ||
      oldLayout.bits !== newLayout.bits ||
      oldLayout.size !== newLayout.size;
    const reshaped = oldShapes.of(o.die.type) !== newShapes.of(n.die.type);
    if (moved || reshaped)
      changes.push({
        member: n.name,
        old: oldLayout,
        new: newLayout,
        ...(reshaped && oldLayout.type === newLayout.type ? { layoutChanged: true } : {}),
      });
  }
  const kept = new Set(after.map((m) => m.name));
  for (const o of before.values()) if (!kept.has(o.name)) changes.push({ member: o.name, old: layoutOf(o) });
  return changes;
}

function place(l: MemberLayout): string {
  return l.bits !== undefined ? `${l.offset}.${l.bit} (${l.bits} bits)` : String(l.offset);
}

/** One member change in words: "member physin: offset 64 -> 72". */
export function memberChangeText(c: MemberChange): string {
  const { old: o, new: n } = c;
  if (o === undefined && n !== undefined)
    return `member ${c.member} added at offset ${place(n)}${n.size !== undefined ? ` (${n.size} bytes)` : ""}`;
  if (n === undefined && o !== undefined) return `member ${c.member} removed (was at offset ${place(o)})`;
  if (o === undefined || n === undefined) return `member ${c.member}`;
  const parts: string[] = [];
  if (o.offset !== n.offset || o.bit !== n.bit || o.bits !== n.bits)
    parts.push(`offset ${place(o)} -> ${place(n)}`);
  if (o.size !== n.size) parts.push(`size ${o.size ?? "?"} -> ${n.size ?? "?"}`);
  if (o.type !== n.type) parts.push(`type ${o.type} -> ${n.type}`);
  else if (c.layoutChanged) parts.push(`the layout of its type ${n.type} changed`);
  return `member ${c.member}: ${parts.join(", ")}`;
}

/** At most this many member changes in a summary line (the full list is in `members`). */
const SUMMARY_MEMBERS = 6;

/** The summary line of a changed struct, union or typedef'd aggregate. */
export function layoutSummary(
  oldSize: number | undefined,
  newSize: number | undefined,
  members: MemberChange[],
): string {
  const parts: string[] = [];
  if (oldSize !== newSize) parts.push(`size ${oldSize ?? "?"} -> ${newSize ?? "?"}`);
  parts.push(...members.slice(0, SUMMARY_MEMBERS).map(memberChangeText));
  if (members.length > SUMMARY_MEMBERS)
    parts.push(`and ${members.length - SUMMARY_MEMBERS} more member changes`);
  return parts.length > 0 ? parts.join("; ") : "the layout changed (padding or unnamed bit-fields)";
}
