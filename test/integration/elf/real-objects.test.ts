// SPDX-License-Identifier: GPL-2.0-only
// Real kernel objects of the reference target, compiled with -ffunction-sections
// -fdata-sections through the shared pristine-object cache (under the tree's lock): hotpatch
// sees what readelf sees, rewrites them byte for byte, and an edited copy (new klp-style
// section and symbols, a renamed symbol) reads without warnings and links with ld -r.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  addRelocationSection,
  addSection,
  addSymbol,
  R_X86_64,
  readElf,
  renameSymbol,
  SHF,
  SHN,
  SHT,
  STT,
  writeElf,
} from "../../../src/elf/index.ts";
import { compilePristine } from "../../../src/kernel/compile.ts";
import { ensureTarget } from "../../helpers/target.ts";
import { assertSameAsReadelf, modelRelocations, modelSymbols } from "../../unit/elf/compare.ts";
import { readelf, readelfRelocations, readelfSymbols, tempDir, tool } from "../../unit/elf/helpers.ts";

const units = ["fs/proc/cmdline.o", "fs/proc/meminfo.o", "net/ipv4/tcp.o", "kernel/sched/core.o"];

describe("elf: real kernel objects of the reference target", () => {
  for (const unit of units) {
    it(`reads, rewrites and edits ${unit}`, { timeout: 15 * 60_000 }, async () => {
      const paths = await ensureTarget();
      const { objectPath } = await compilePristine(paths, unit);
      const bytes = readFileSync(objectPath);
      const obj = readElf(bytes);
      assertSameAsReadelf(obj, objectPath, unit);
      assert.ok(Buffer.from(writeElf(obj)).equals(bytes), `${unit}: round trip differs`);

      // An edit of the kind the livepatch generator makes.
      const victim = obj.symbols.find((s) => s.type === STT.FUNC && s.definedIn !== null);
      assert.ok(victim, "a defined function");
      renameSymbol(victim, `${victim.name}__renamed`);
      const klpSym = addSymbol(obj, {
        name: ".klp.sym.vmlinux.saved_command_line,0",
        type: STT.OBJECT,
        section: SHN.LIVEPATCH,
      });
      const data = addSection(obj, {
        name: ".data.hotpatch_test",
        type: SHT.PROGBITS,
        flags: SHF.ALLOC | SHF.WRITE,
        data: new Uint8Array(8),
        addralign: 8,
      });
      addRelocationSection(obj, data, [{ offset: 0, type: R_X86_64["64"], symbol: klpSym, addend: 0n }], {
        name: ".klp.rela.vmlinux..data.hotpatch_test",
        flags: SHF.ALLOC | SHF.RELA_LIVEPATCH | SHF.INFO_LINK,
      });
      const dir = tempDir("elf-real");
      const out = join(dir, "edited.o");
      writeFileSync(out, writeElf(obj));
      assert.equal(readelf(["-aW", out]).stderr, "", `${unit}: readelf warnings`);
      const back = readElf(readFileSync(out));
      // Not the section table: readelf shows SHF_RELA_LIVEPATCH as an OS flag ("o"), hotpatch as "K".
      assert.deepEqual(modelSymbols(back), readelfSymbols(out));
      assert.deepEqual(modelRelocations(back), readelfRelocations(out));
      assert.equal(back.symbolByName(`${victim.name}`)?.definedIn?.name, victim.definedIn?.name);
      const linked = tool("ld", ["-r", "-o", join(dir, "linked.o"), out]);
      assert.equal(linked.status, 0, linked.stderr);
    });
  }
});
