// SPDX-License-Identifier: GPL-2.0-only
// The DWARF reader on big real units of the reference target (the kernel's recipe: gcc 12,
// DWARF 5, relocations against section symbols): the same DIE tree as readelf, and the layout
// stage finds nothing between two reads of one object, having compared its types.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { diffObjects } from "../../../src/diff/index.ts";
import { type DwarfInfo, readDwarf } from "../../../src/elf/dwarf/index.ts";
import { readElf } from "../../../src/elf/index.ts";
import { compilePristine } from "../../../src/kernel/compile.ts";
import { ensureTarget } from "../../helpers/target.ts";
import { ourDies, readelfDies } from "../../unit/elf/dwarf-helpers.ts";

describe("elf: DWARF of real kernel objects", () => {
  for (const unit of ["kernel/sched/core.o", "net/ipv4/tcp.o"]) {
    it(`reads ${unit} as readelf does, and diffs it against itself with no layout change`, {
      timeout: 15 * 60_000,
    }, async () => {
      const { objectPath } = await compilePristine(await ensureTarget(), unit);
      const bytes = readFileSync(objectPath);
      const dwarf = readDwarf(readElf(bytes)) as DwarfInfo;
      assert.equal(dwarf.units[0]?.version, 5);
      assert.deepEqual(ourDies(dwarf), readelfDies(objectPath));
      const r = diffObjects(readElf(bytes), readElf(bytes));
      assert.deepEqual(r.layoutChanges, []);
      assert.ok((r.stats.debugInfo?.types ?? 0) > 500, JSON.stringify(r.stats.debugInfo));
      assert.ok((r.stats.debugInfo?.functions ?? 0) > 500, JSON.stringify(r.stats.debugInfo));
    });
  }
});
