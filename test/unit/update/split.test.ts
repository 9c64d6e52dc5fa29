// SPDX-License-Identifier: GPL-2.0-only
// findNeeds and splitChanges (src/update/split.ts) on crafted names: a file needs another when it
// uses what the other's change defines (same side; a member only as a member by a file naming
// its struct); linked files form one fix, and with a starting set only those files and what
// they need (transitively) are kept, the extra ones reported as pulledIn.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type ChangeNames, changeNames, type SideNames } from "../../../src/update/names.ts";
import { findNeeds, type NamedChange, splitChanges } from "../../../src/update/split.ts";

interface SideSpec {
  defines?: string[];
  members?: Record<string, string[]>;
  uses?: string[];
  memberUses?: string[];
  all?: string[];
}

function side(s: SideSpec = {}): SideNames {
  return {
    defines: new Set(s.defines ?? []),
    members: new Map(Object.entries(s.members ?? {})),
    uses: new Set(s.uses ?? []),
    memberUses: new Set(s.memberUses ?? []),
    all: new Set(s.all ?? []),
  };
}

function named(path: string, added: SideSpec = {}, removed: SideSpec = {}): NamedChange {
  const names: ChangeNames = { added: side(added), removed: side(removed) };
  return { path, names };
}

const header = named("include/linux/widget.h", {
  defines: ["widget_twice", "WIDGET_MAX"],
  members: { b: ["widget", "widget_t"] },
  uses: ["widget_twice", "WIDGET_MAX", "b"],
});

test("a file needs the file whose change defines a name it uses; each changed file has an entry", () => {
  const user = named("drivers/widget/core.c", { uses: ["widget_twice", "WIDGET_MAX", "x"] });
  const other = named("drivers/other/misc.c", { uses: ["misc_count"] });
  const needs = findNeeds([header, user, other]);
  assert.deepEqual(needs.get("drivers/widget/core.c"), [
    { from: "drivers/widget/core.c", to: "include/linux/widget.h", names: ["WIDGET_MAX", "widget_twice"] },
  ]);
  // The header uses its own names: that is no need.
  assert.deepEqual(needs.get("include/linux/widget.h"), []);
  assert.deepEqual(needs.get("drivers/other/misc.c"), []);
  assert.equal(needs.size, 3);
});

test("a member counts only when used as a member by a file naming its struct (tag or typedef)", () => {
  const viaTag = named("drivers/a.c", { uses: ["w", "b"], memberUses: ["b"], all: ["widget", "w", "b"] });
  const viaTypedef = named("drivers/b.c", { uses: ["w", "b"], memberUses: ["b"], all: ["widget_t", "b"] });
  const otherStruct = named("drivers/c.c", { uses: ["g", "b"], memberUses: ["b"], all: ["gadget", "b"] });
  const notAsMember = named("drivers/d.c", { uses: ["b"], all: ["widget", "b"] });
  const needs = findNeeds([header, viaTag, viaTypedef, otherStruct, notAsMember]);
  assert.deepEqual(needs.get("drivers/a.c"), [
    { from: "drivers/a.c", to: "include/linux/widget.h", names: ["b"] },
  ]);
  assert.deepEqual(needs.get("drivers/b.c"), [
    { from: "drivers/b.c", to: "include/linux/widget.h", names: ["b"] },
  ]);
  assert.deepEqual(needs.get("drivers/c.c"), []);
  assert.deepEqual(needs.get("drivers/d.c"), []);
});

test("the removed side: a file that stops calling what another change deletes needs it; sides do not mix", () => {
  const remover = named("include/linux/api.h", {}, { defines: ["old_api"], uses: ["old_api"] });
  const stopsCalling = named("drivers/a.c", {}, { uses: ["old_api"] });
  // Adding a call to a name another change deletes is no need (the build will fail on it).
  const startsCalling = named("drivers/b.c", { uses: ["old_api"] });
  const needs = findNeeds([remover, stopsCalling, startsCalling]);
  assert.deepEqual(needs.get("drivers/a.c"), [
    { from: "drivers/a.c", to: "include/linux/api.h", names: ["old_api"] },
  ]);
  assert.deepEqual(needs.get("drivers/b.c"), []);
});

test("names shared on both sides are listed once, sorted", () => {
  const definer = named("include/linux/x.h", { defines: ["zeta", "alpha"] }, { defines: ["zeta"] });
  const user = named("drivers/x.c", { uses: ["zeta", "alpha"] }, { uses: ["zeta"] });
  assert.deepEqual(findNeeds([definer, user]).get("drivers/x.c"), [
    { from: "drivers/x.c", to: "include/linux/x.h", names: ["alpha", "zeta"] },
  ]);
});

// a.c uses the header's helper; b.c uses a.c's new exported function; u.c is unrelated;
// arch/x.c defines something nobody uses.
const a = named("drivers/a.c", { defines: ["a_export"], uses: ["widget_twice", "a_export"] });
const b = named("drivers/b.c", { uses: ["a_export"] });
const u = named("drivers/u.c", { uses: ["unrelated"] });
const arch = named("arch/x86/x.c", { defines: ["x86_only"], uses: ["x86_only"] });
const all = [u, b, header, a, arch];

test("without a starting set every file is split: linked files (transitively) form one fix", () => {
  const split = splitChanges(all);
  assert.deepEqual(split.groups, [
    ["arch/x86/x.c"],
    ["drivers/a.c", "drivers/b.c", "include/linux/widget.h"],
    ["drivers/u.c"],
  ]);
  assert.deepEqual(split.pulledIn, []);
  const needs = split.needs.map((n) => `${n.from} -> ${n.to}: ${n.names.join(",")}`).sort();
  assert.deepEqual(needs, [
    "drivers/a.c -> include/linux/widget.h: widget_twice",
    "drivers/b.c -> drivers/a.c: a_export",
  ]);
});

test("a starting set keeps the chosen files and what they need; the extra files are pulledIn", () => {
  const split = splitChanges(all, ["drivers/a.c"]);
  // b.c needs a.c, but a.c does not need b.c: b.c stays out.
  assert.deepEqual(split.groups, [["drivers/a.c", "include/linux/widget.h"]]);
  assert.deepEqual(split.pulledIn, [
    { path: "include/linux/widget.h", neededBy: ["drivers/a.c"], names: ["widget_twice"] },
  ]);
  assert.deepEqual(split.needs, [
    { from: "drivers/a.c", to: "include/linux/widget.h", names: ["widget_twice"] },
  ]);
});

test("what is pulled in is followed transitively and named with what needs it", () => {
  const split = splitChanges(all, ["drivers/b.c", "drivers/u.c"]);
  assert.deepEqual(split.groups, [["drivers/a.c", "drivers/b.c", "include/linux/widget.h"], ["drivers/u.c"]]);
  assert.deepEqual(split.pulledIn, [
    { path: "drivers/a.c", neededBy: ["drivers/b.c"], names: ["a_export"] },
    { path: "include/linux/widget.h", neededBy: ["drivers/a.c"], names: ["widget_twice"] },
  ]);
});

test("a chosen file that others need pulls in nothing", () => {
  const split = splitChanges(all, ["include/linux/widget.h"]);
  assert.deepEqual(split.groups, [["include/linux/widget.h"]]);
  assert.deepEqual(split.pulledIn, []);
  assert.deepEqual(split.needs, []);
});

test("groups are ordered by their first path, each group sorted", () => {
  const z = named("z/z.c", { uses: ["m_new"] });
  const m = named("m/m.c", { defines: ["m_new"] });
  const c = named("c/c.c");
  assert.deepEqual(splitChanges([z, c, m]).groups, [["c/c.c"], ["m/m.c", "z/z.c"]]);
});

test("from real text: a member added to an existing struct ties only the files using it on that struct", () => {
  // (struct gadget, with its own member b, is declared in another header.)
  const oldH = "#ifndef W_H\nstruct widget {\n\tint a;\n};\n#endif\n";
  const newH = "#ifndef W_H\nstruct widget {\n\tint a;\n\tint b;\n};\n#endif\n";
  const user = (type: string, expr: string) => `int f(struct ${type} *w)\n{\n\treturn ${expr};\n}\n`;
  const changes: NamedChange[] = [
    { path: "include/linux/w.h", names: changeNames("include/linux/w.h", oldH, newH, { old: [], new: [4] }) },
    {
      path: "drivers/w.c",
      names: changeNames("drivers/w.c", user("widget", "0"), user("widget", "w->b"), { old: [3], new: [3] }),
    },
    {
      path: "drivers/g.c",
      names: changeNames("drivers/g.c", user("gadget", "0"), user("gadget", "w->b"), { old: [3], new: [3] }),
    },
  ];
  const split = splitChanges(changes);
  assert.deepEqual(split.groups, [["drivers/g.c"], ["drivers/w.c", "include/linux/w.h"]]);
  assert.deepEqual(split.needs, [{ from: "drivers/w.c", to: "include/linux/w.h", names: ["b"] }]);
  // A member name the header already has elsewhere is not new to it: nothing ties then.
  const withB = (text: string) => text.replace("#endif", "int b;\n#endif");
  const header = changeNames("include/linux/w.h", withB(oldH), withB(newH), { old: [], new: [4] });
  assert.deepEqual([...header.added.members], []);
});
