// SPDX-License-Identifier: GPL-2.0-only
// An update's changed files split into fixes. Files whose changes belong together go in or out
// together: a file's change needs another's when it uses a name the other's change defines
// (a new helper, macro, field, function, prototype: names.ts), or still relies on a name only
// because the other's change deletes it (it stops calling what the other removes). Files
// linked that way, directly or through others, are one fix; every other file is a fix of its
// own. Given a starting set (`--paths`), only those files and what they need, transitively,
// are split; the files pulled in are named with what needs them and why.
import type { ChangeNames, SideNames } from "./names.ts";

export interface NamedChange {
  path: string;
  names: ChangeNames;
}

/** Why `from` needs `to`: the names `to`'s change defines that `from`'s change uses. */
export interface Need {
  from: string;
  to: string;
  names: string[];
}

export interface PulledIn {
  path: string;
  /** The files (chosen or pulled in themselves) that need it. */
  neededBy: string[];
  names: string[];
}

export interface Split {
  /** Each fix's files, sorted; fixes ordered by their first file. */
  groups: string[][];
  /** Files outside the starting set that its changes need (empty without one). */
  pulledIn: PulledIn[];
  /** Every need between the split files (what ties each group together). */
  needs: Need[];
}

/**
 * Names `user`'s side uses that `definer`'s side defines. A member counts only when used as a
 * member by a file that names its struct.
 */
function sharedNames(user: SideNames, definer: SideNames): string[] {
  const shared = [...definer.defines].filter((name) => user.uses.has(name));
  for (const [member, owners] of definer.members) {
    if (user.memberUses.has(member) && owners.some((o) => user.all.has(o))) shared.push(member);
  }
  return shared;
}

/** For every changed file, the other files its change needs, with the names. */
export function findNeeds(changes: readonly NamedChange[]): Map<string, Need[]> {
  // Index definers by name so that each file looks only at the files defining what it uses.
  const definers = new Map<string, NamedChange[]>();
  for (const c of changes) {
    for (const side of [c.names.added, c.names.removed]) {
      for (const name of [...side.defines, ...side.members.keys()]) {
        const list = definers.get(name) ?? [];
        if (!list.includes(c)) list.push(c);
        definers.set(name, list);
      }
    }
  }
  const needs = new Map<string, Need[]>();
  for (const c of changes) {
    const candidates = new Set<NamedChange>();
    for (const side of [c.names.added, c.names.removed])
      for (const id of side.uses) for (const d of definers.get(id) ?? []) if (d !== c) candidates.add(d);
    const list: Need[] = [];
    for (const d of candidates) {
      const names = [
        ...sharedNames(c.names.added, d.names.added),
        ...sharedNames(c.names.removed, d.names.removed),
      ];
      if (names.length > 0) list.push({ from: c.path, to: d.path, names: [...new Set(names)].sort() });
    }
    needs.set(c.path, list);
  }
  return needs;
}

/** The starting files and, transitively, every file their changes need. */
function closure(start: readonly string[], needs: Map<string, Need[]>): Set<string> {
  const chosen = new Set(start);
  const pending = [...start];
  while (pending.length > 0) {
    for (const n of needs.get(pending.pop() as string) ?? []) {
      if (chosen.has(n.to)) continue;
      chosen.add(n.to);
      pending.push(n.to);
    }
  }
  return chosen;
}

/** Connected files, each group sorted, groups ordered by their first path. */
function components(files: Set<string>, needs: Need[]): string[][] {
  const parent = new Map<string, string>([...files].map((f) => [f, f]));
  const find = (f: string): string => {
    let root = f;
    while (parent.get(root) !== root) root = parent.get(root) as string;
    parent.set(f, root);
    return root;
  };
  for (const n of needs) parent.set(find(n.from), find(n.to));
  const groups = new Map<string, string[]>();
  for (const f of files) {
    const root = find(f);
    groups.set(root, [...(groups.get(root) ?? []), f]);
  }
  const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...groups.values()]
    .map((g) => g.sort(byPath))
    .sort((a, b) => byPath(a[0] as string, b[0] as string));
}

/**
 * Splits `changes` into fixes: all of them, or with `start` (paths among the changes) those
 * files and what they need.
 */
export function splitChanges(changes: readonly NamedChange[], start?: readonly string[]): Split {
  const needs = findNeeds(changes);
  const files = start ? closure(start, needs) : new Set(changes.map((c) => c.path));
  const within = [...files].flatMap((f) => (needs.get(f) ?? []).filter((n) => files.has(n.to)));
  const pulledIn: PulledIn[] = [];
  if (start) {
    const starting = new Set(start);
    for (const f of [...files].filter((f) => !starting.has(f)).sort()) {
      const by = within.filter((n) => n.to === f);
      pulledIn.push({
        path: f,
        neededBy: by.map((n) => n.from).sort(),
        names: [...new Set(by.flatMap((n) => n.names))].sort(),
      });
    }
  }
  return { groups: components(files, within), pulledIn, needs: within };
}
