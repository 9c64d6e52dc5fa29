// SPDX-License-Identifier: GPL-2.0-only
// The patch-object extractor and the klp relocation post-processing, on a small C unit
// compiled here with -ffunction-sections -fdata-sections: exactly the included function goes
// in, strings are copied, exported symbols stay ordinary references, everything else becomes
// a `.klp.sym.*` reference, and the conversion moves those relocations into
// `.klp.rela.<obj>.<section>` with SHN_LIVEPATCH symbols that binutils still reads.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { execa } from "execa";
import { type ElfObject, readElf, SHF, SHN, STB, writeElf } from "../../../src/elf/index.ts";
import { extractPatchObject, type ReferencePolicy } from "../../../src/klp/extract.ts";
import { convertKlpRelocations } from "../../../src/klp/klp-relocs.ts";
import type { KernelTarget } from "../../../src/klp/types.ts";
import { compiledFixture } from "../../helpers/kernel-object.ts";

const { dir, objPath } = compiledFixture(
  new URL("./fixtures/unit.c", import.meta.url).pathname,
  "hotpatch-klp-unit-",
);

const exported = new Set(["exported_fn", "printk"]);
const policy: ReferencePolicy = {
  copy: (sym) => sym.type === 3 /* STT_SECTION: anonymous strings */,
  resolve: (sym): KernelTarget =>
    exported.has(sym.name)
      ? { kind: "export", name: sym.name }
      : { kind: "klp", objName: "vmlinux", name: sym.name, sympos: 0 },
};

function extract(): ElfObject {
  const result = extractPatchObject({
    object: readElf(readFileSync(objPath)),
    functions: ["changed"],
    exported: [{ name: "changed", alias: "__hotpatch_u0_f0" }],
    policy,
  });
  return result.object;
}

test("only the included function, its constants and references to the rest", () => {
  const obj = extract();
  const names = obj.sections.map((s) => s.name);
  assert.ok(names.includes(".text.changed"));
  assert.ok(!names.includes(".text.other") && !names.includes(".text.helper"), names.join(" "));
  assert.ok(
    names.some((n) => n.startsWith(".rodata") && n.includes(".str")),
    "string literals are copied",
  );
  const relocs = obj.relocationsFor(obj.sectionByName(".text.changed") as never).map((r) => r.symbol.name);
  assert.ok(relocs.includes(".klp.sym.vmlinux.helper,0"));
  assert.ok(relocs.includes(".klp.sym.vmlinux.counter,0"));
  assert.ok(relocs.includes("exported_fn"));
  const alias = obj.symbolByName("__hotpatch_u0_f0");
  assert.equal(alias?.bind, STB.GLOBAL);
  assert.equal(
    obj.symbolByName("changed")?.bind,
    STB.LOCAL,
    "the patch defines no globals but the stub's aliases",
  );
  assert.equal(
    obj.symbolByName(".klp.sym.vmlinux.helper,0")?.bind,
    STB.WEAK,
    "weak so modpost accepts it unresolved",
  );
});

test("the extracted object links with ld -r", async () => {
  const out = join(dir, "patch.o");
  writeFileSync(out, writeElf(extract()));
  await execa("ld", ["-r", "-o", join(dir, "linked.o"), out]);
});

test("klp conversion: .klp.rela sections with SHF_RELA_LIVEPATCH, SHN_LIVEPATCH symbols, readable by readelf", async () => {
  const obj = readElf(writeElf(extract()));
  const summary = convertKlpRelocations(obj);
  assert.deepEqual(
    summary.sections.map((s) => s.name),
    [".klp.rela.vmlinux..text.changed"],
  );
  const sec = obj.sectionByName(".klp.rela.vmlinux..text.changed");
  assert.ok(sec && (sec.flags & SHF.RELA_LIVEPATCH) !== 0 && (sec.flags & SHF.ALLOC) !== 0);
  assert.equal(sec?.infoSection?.name, ".text.changed");
  assert.ok((sec?.relocations ?? []).every((r) => r.symbol.section === SHN.LIVEPATCH));
  const plain = obj
    .relocationsFor(obj.sectionByName(".text.changed") as never)
    .filter((r) => r.symbol.section !== SHN.LIVEPATCH);
  assert.ok(
    plain.some((r) => r.symbol.name === "exported_fn"),
    "exported references stay ordinary",
  );
  assert.ok(!plain.some((r) => r.symbol.name.startsWith(".klp.sym.")));
  const out = join(dir, "klp.o");
  writeFileSync(out, writeElf(obj));
  const { stdout } = await execa("readelf", ["-SW", out]);
  assert.match(stdout, /\.klp\.rela\.vmlinux\.\.text\.changed/);
});

test("klp conversion: a symbol of a module the patched module depends on goes into the patched module's section", () => {
  // `helper` stands for another module's export (e.g. xfrm_algo's xfrm_aalg_get_byid used by
  // af_key): the kernel applies `.klp.rela.<obj>.*` only for the patch's own objects, and a
  // module-specific section may name any loaded module's symbol.
  const depPolicy: ReferencePolicy = {
    ...policy,
    resolve: (sym): KernelTarget =>
      sym.name === "helper"
        ? { kind: "klp", objName: "dep_mod", name: sym.name, sympos: 0 }
        : policy.resolve(sym),
  };
  const result = extractPatchObject({
    object: readElf(readFileSync(objPath)),
    functions: ["changed"],
    exported: [{ name: "changed", alias: "__hotpatch_u0_f0" }],
    policy: depPolicy,
  });
  const obj = readElf(writeElf(result.object));
  const summary = convertKlpRelocations(obj, {
    patched: new Set(["patched_mod", "vmlinux"]),
    sectionObject: new Map([[".text.changed", "patched_mod"]]),
  });
  const names = summary.sections.map((s) => s.name).sort();
  assert.deepEqual(names, [".klp.rela.patched_mod..text.changed", ".klp.rela.vmlinux..text.changed"]);
  const sec = obj.sectionByName(".klp.rela.patched_mod..text.changed");
  assert.deepEqual(
    (sec?.relocations ?? []).map((r) => r.symbol.name),
    [".klp.sym.dep_mod.helper,0"],
    "the symbol keeps its own module's name; only the section is the patched module's",
  );
  const without = readElf(writeElf(result.object));
  assert.ok(
    convertKlpRelocations(without).sections.some((s) => s.name === ".klp.rela.dep_mod..text.changed"),
    "without hosts the section follows the symbol (the old behaviour this test guards against)",
  );
});
