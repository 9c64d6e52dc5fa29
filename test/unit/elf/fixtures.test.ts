// SPDX-License-Identifier: GPL-2.0-only
// Objects compiled on the spot from small C fixtures with kernel-like flags: hotpatch's view
// equals readelf's, read+write is byte-identical, and every kind of edit gives an object that
// readelf reads without a warning, ld -r links, and that reads back with the edit in place.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { symbolDisplayName } from "../../../src/elf/dump.ts";
import {
  addRelocationSection,
  addSection,
  addSymbol,
  createElfObject,
  ElfError,
  type ElfObject,
  indexElf,
  R_X86_64,
  readElf,
  referencesTo,
  removeSection,
  removeSections,
  removeSymbol,
  removeSymbols,
  renameSection,
  renameSymbol,
  renumber,
  repointRelocations,
  Section,
  SHF,
  SHN,
  SHT,
  STB,
  STT,
  sectionSymbol,
  writeElf,
} from "../../../src/elf/index.ts";
import { assertSameAsReadelf } from "./compare.ts";
import { compileFixture, readelf, readelfSymbols, tempDir, tool } from "./helpers.ts";

let dir = "";
let basic = "";
let links = "";

/** Writes, then checks readelf (no warnings), ld -r, and that the model matches readelf's view. */
function writeAndCheck(obj: ElfObject, name: string): ElfObject {
  const out = join(dir, name);
  writeFileSync(out, writeElf(obj));
  const all = readelf(["-aW", out]);
  assert.equal(all.stderr, "", `readelf -aW warns on ${name}`);
  assert.equal(all.status, 0);
  const linked = tool("ld", ["-r", "-o", join(dir, `linked-${name}`), out]);
  assert.equal(linked.status, 0, `ld -r ${name}: ${linked.stderr}`);
  const back = readElf(readFileSync(out));
  assertSameAsReadelf(back, out);
  return back;
}

/** Relocations as (section, offset, type, symbol name, addend) so indices do not matter. */
function symbolic(obj: ElfObject, section: string): string[] {
  const target = obj.sectionByName(section);
  assert.ok(target, `no ${section}`);
  return obj
    .relocationsFor(target)
    .map((r) => `${r.offset}:${r.type}:${symbolDisplayName(r.symbol)}:${r.addend}`);
}

function firstLocalsThenGlobals(obj: ElfObject): void {
  const symtab = obj.symtab;
  assert.ok(symtab);
  const firstGlobal = obj.symbols.findIndex((s, i) => i > 0 && s.bind !== STB.LOCAL);
  assert.equal(symtab.info, firstGlobal < 0 ? obj.symbols.length : firstGlobal);
  assert.ok(obj.symbols.slice(symtab.info).every((s) => s.bind !== STB.LOCAL));
}

describe("elf: compiled fixtures", () => {
  before(() => {
    dir = tempDir("elf-fixtures");
    basic = compileFixture("basic", dir);
    links = compileFixture("links", dir);
  });

  it("reads what readelf reads and round-trips byte for byte", () => {
    for (const file of [basic, links]) {
      const bytes = readFileSync(file);
      const obj = readElf(bytes);
      assertSameAsReadelf(obj, file);
      assert.ok(Buffer.from(writeElf(obj)).equals(bytes));
    }
  });

  it("exposes the model: symbols, relocations, groups, link-order", () => {
    const obj = readElf(readFileSync(basic));
    const exported = obj.symbolByName("exported");
    assert.ok(exported && typeof exported.section !== "number");
    assert.equal(exported.section.name, ".text.exported");
    assert.equal(exported.bind, STB.GLOBAL);
    assert.equal(exported.type, STT.FUNC);
    assert.ok(obj.symbolByName("__fentry__")?.isUndefined);
    const text = obj.sectionByName(".text.exported");
    assert.ok(text);
    assert.ok(obj.symbolsInSection(text).includes(exported));
    const rels = obj.relocationsFor(text);
    assert.equal(rels[0]?.symbol.name, "__fentry__");
    assert.equal(rels[0]?.type, R_X86_64.PLT32);
    assert.equal(rels[0]?.addend, -4n);
    const group = obj.groups[0]?.group;
    assert.equal(group?.signature.name, "grouped_sig");
    assert.deepEqual(
      group?.members.map((m) => m.name),
      [".text.grouped"],
    );
    const pfe = readElf(readFileSync(links)).sectionByName("__patchable_function_entries");
    assert.ok(pfe && (pfe.flags & SHF.LINK_ORDER) !== 0);
    assert.equal(pfe.linkSection?.name, ".text.add");
  });

  it("indexes an object with the same answers as the linear lookups", () => {
    for (const file of [basic, links]) {
      const obj = readElf(readFileSync(file));
      const index = indexElf(obj);
      for (const section of obj.sections.slice(1)) {
        assert.deepEqual(index.symbolsBySection.get(section) ?? [], obj.symbolsInSection(section));
        assert.deepEqual(index.relocationsByTarget.get(section) ?? [], obj.relocationsFor(section));
        assert.equal(index.sectionsByName.get(section.name)?.[0], obj.sectionByName(section.name));
      }
      const fentry = obj.symbolByName("__fentry__");
      assert.ok(fentry);
      assert.deepEqual(index.referencesBySymbol.get(fentry) ?? [], referencesTo(obj, fentry));
      assert.ok((index.referencesBySymbol.get(fentry)?.length ?? 0) >= 3);
    }
  });

  it("adds, renames and re-points, and the result reads, links and reads back", () => {
    const obj = readElf(readFileSync(basic));
    const added = addSymbol(obj, {
      name: "added_global",
      bind: STB.GLOBAL,
      type: STT.NOTYPE,
      section: SHN.UNDEF,
    });
    const dataSection = obj.sectionByName(".data.shared_value");
    assert.ok(dataSection);
    addSymbol(obj, {
      name: "added_local",
      bind: STB.LOCAL,
      type: STT.OBJECT,
      section: dataSection,
      value: 0n,
      size: 4n,
    });
    const shared = obj.symbolByName("shared_value");
    assert.ok(shared);
    const before = symbolic(obj, ".text.exported");
    assert.ok(repointRelocations(obj, shared, added) > 0);
    const msg = obj.symbolByName("msg");
    const msgText = obj.sectionByName(".text.msg");
    assert.ok(msg && msgText);
    renameSymbol(msg, "message");
    renameSection(msgText, ".text.message");
    const msgRela = obj.relocationSectionsFor(msgText)[0];
    assert.ok(msgRela);
    renameSection(msgRela, ".rela.text.message");
    // A new data section with a pointer to `exported`.
    const extra = addSection(obj, {
      name: ".data.extra",
      type: SHT.PROGBITS,
      flags: SHF.ALLOC | SHF.WRITE,
      data: new Uint8Array(16),
      addralign: 8,
    });
    addSymbol(obj, {
      name: "extra_ptr",
      bind: STB.GLOBAL,
      type: STT.OBJECT,
      section: extra,
      value: 0n,
      size: 8n,
    });
    const exported = obj.symbolByName("exported");
    assert.ok(exported);
    addRelocationSection(obj, extra, [
      { offset: 0, type: R_X86_64["64"], symbol: exported, addend: 0n },
      { offset: 8, type: R_X86_64["64"], symbol: sectionSymbol(obj, extra), addend: 4n },
    ]);
    firstLocalsThenGlobals(obj);

    const back = writeAndCheck(obj, "edited.o");
    firstLocalsThenGlobals(back);
    assert.equal(back.symbolByName("message")?.definedIn?.name, ".text.message");
    assert.equal(back.symbolByName("msg"), undefined);
    assert.equal(back.symbolByName("added_local")?.bind, STB.LOCAL);
    assert.deepEqual(
      symbolic(back, ".text.exported"),
      before.map((r) => r.replace(":shared_value:", ":added_global:")),
    );
    assert.deepEqual(symbolic(back, ".data.extra"), [
      `0:${R_X86_64["64"]}:exported:0`,
      `8:${R_X86_64["64"]}:.data.extra:4`,
    ]);
  });

  it("removes sections with what depends on them, and refuses to orphan a reference", () => {
    const obj = readElf(readFileSync(links));
    const add = obj.sectionByName(".text.add");
    assert.ok(add);
    // twice() calls add(): removing add's section would leave that call dangling.
    assert.throws(
      () => removeSection(obj, add),
      (e: unknown) => e instanceof ElfError && /rela|refers to/.test(e.message),
    );
    const mcount = obj.sectionByName("__mcount_loc");
    const twice = obj.sectionByName(".text.twice");
    assert.ok(mcount && twice);
    // Together they can go; the link-order __patchable_function_entries (linked to .text.add)
    // and every relocation section of a removed section go with them.
    const removed = removeSections(obj, [mcount, twice, add]);
    assert.deepEqual(removed.sections.map((s) => s.name).sort(), [
      ".rela.text.add",
      ".rela.text.twice",
      ".rela__mcount_loc",
      ".rela__patchable_function_entries",
      ".text.add",
      ".text.twice",
      "__mcount_loc",
      "__patchable_function_entries",
    ]);
    assert.ok(removed.symbols.some((s) => s.name === "add"));
    assert.equal(obj.symbolByName("twice"), undefined);
    const expectNameOf = symbolic(obj, ".text.name_of");
    const back = writeAndCheck(obj, "removed.o");
    assert.equal(back.sectionByName(".text.add"), undefined);
    assert.deepEqual(symbolic(back, ".text.name_of"), expectNameOf);
    firstLocalsThenGlobals(back);
  });

  it("removes symbols nothing refers to, and refuses one a relocation or group still uses", () => {
    const obj = readElf(readFileSync(basic));
    const shared = obj.symbolByName("shared_value");
    const signature = obj.symbolByName("grouped_sig");
    assert.ok(shared && signature);
    // exported() reads shared_value: its relocation would lose its symbol.
    assert.throws(() => removeSymbol(obj, shared), /cannot remove symbol 'shared_value': relocation at/);
    assert.throws(() => removeSymbol(obj, signature), /it is the signature of group/);
    const unused = addSymbol(obj, {
      name: "unused_extern",
      bind: STB.GLOBAL,
      type: STT.NOTYPE,
      section: SHN.UNDEF,
    });
    const count = obj.symbols.length;
    removeSymbols(obj, [unused]);
    assert.equal(obj.symbols.length, count - 1);
    const back = writeAndCheck(obj, "fewer-symbols.o");
    assert.equal(back.symbolByName("unused_extern"), undefined);
    assert.ok(back.symbolByName("shared_value"));
  });

  it("clears a link whose section was dropped instead of keeping a stale index", () => {
    const obj = readElf(readFileSync(links));
    const pfe = obj.sectionByName("__patchable_function_entries");
    assert.ok(pfe?.linkSection);
    pfe.linkSection = null;
    renumber(obj);
    assert.equal(pfe.link, 0);
  });

  it("removes a group's only member and the group with it", () => {
    const obj = readElf(readFileSync(basic));
    const grouped = obj.sectionByName(".text.grouped");
    assert.ok(grouped);
    removeSection(obj, grouped);
    assert.equal(obj.groups.length, 0);
    const back = writeAndCheck(obj, "nogroup.o");
    assert.equal(back.symbolByName("grouped_sig"), undefined);
  });

  it("builds an object from nothing", () => {
    const obj = createElfObject();
    const text = addSection(obj, {
      name: ".text.hello",
      type: SHT.PROGBITS,
      flags: SHF.ALLOC | SHF.EXECINSTR,
      data: Uint8Array.of(0xe8, 0, 0, 0, 0, 0xc3),
      addralign: 16,
    });
    const hello = addSymbol(obj, { name: "hello", type: STT.FUNC, section: text, size: 6n });
    const callee = addSymbol(obj, { name: "printk", section: SHN.UNDEF });
    addRelocationSection(obj, text, [{ offset: 1, type: R_X86_64.PLT32, symbol: callee, addend: -4n }]);
    addSymbol(obj, {
      name: ".klp.sym.vmlinux.saved_command_line,0",
      type: STT.OBJECT,
      section: SHN.LIVEPATCH,
    });
    const back = writeAndCheck(obj, "scratch.o");
    assert.equal(back.symbolByName("hello")?.size, hello.size);
    assert.equal(back.symbolByName(".klp.sym.vmlinux.saved_command_line,0")?.section, SHN.LIVEPATCH);
    assert.deepEqual(symbolic(back, ".text.hello"), [`1:${R_X86_64.PLT32}:printk:-4`]);
  });

  it("writes and reads extended section numbering (more than 65279 sections)", () => {
    const obj = createElfObject();
    const symtab = obj.symtab;
    assert.ok(symtab);
    // Built in bulk: one renumber at the end instead of one per section.
    const at = obj.sections.indexOf(symtab);
    const many: Section[] = [];
    for (let i = 0; i < 0xff10; i++)
      many.push(
        new Section({
          name: `.data.v${i}`,
          type: SHT.PROGBITS,
          flags: SHF.ALLOC | SHF.WRITE,
          data: Uint8Array.of(i & 0xff),
        }),
      );
    obj.sections.splice(at, 0, ...many);
    renumber(obj);
    const last = many[many.length - 1] as Section;
    addSymbol(obj, { name: "far_away", type: STT.OBJECT, section: last, size: 1n });
    const bytes = writeElf(obj);
    const back = readElf(bytes);
    assert.equal(back.sections.length, obj.sections.length);
    assert.ok(back.sections.some((s) => s.type === SHT.SYMTAB_SHNDX));
    const far = back.symbolByName("far_away");
    assert.equal(far?.definedIn?.name, last.name);
    assert.ok((far?.sectionIndex ?? 0) >= SHN.LORESERVE);
    assert.ok(Buffer.from(writeElf(back)).equals(Buffer.from(bytes)));
    const out = join(dir, "many.o");
    writeFileSync(out, bytes);
    const header = readelf(["-hW", out]);
    assert.equal(header.stderr, "");
    assert.match(header.stdout, new RegExp(`Number of section headers:\\s+0 \\(${obj.sections.length}\\)`));
    const sym = readelfSymbols(out).find((row) => row[7] === "far_away");
    assert.equal(sym?.[6], String(far?.sectionIndex));
  });
});
