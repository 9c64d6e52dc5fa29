// SPDX-License-Identifier: GPL-2.0-only
// The generated C stub (klp tables, replace flag, callbacks, namespaces) and module names.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readElf } from "../../../src/elf/index.ts";
import { UserError } from "../../../src/errors/user-error.ts";
import { checkModuleName, moduleNameFromFix } from "../../../src/klp/module-name.ts";
import { fixModinfoValue, fixProvenance } from "../../../src/klp/provenance.ts";
import { generateStub } from "../../../src/klp/stub.ts";
import { klpSymbolName } from "../../../src/klp/types.ts";
import { parseModinfo } from "../../../src/runtime/module-file.ts";
import { scratchDir } from "../../helpers/scratch.ts";

test("module names come from the fix file: hp_ prefix, underscores, at most 55 characters", () => {
  assert.equal(
    moduleNameFromFix("/x/01-af_unix-siocatmark-nonstream.patch"),
    "hp_01_af_unix_siocatmark_nonstream",
  );
  const long = moduleNameFromFix(`/x/${"a-very-long-name-".repeat(10)}.diff`);
  assert.ok(long.length <= 55 && /^hp_[a-z0-9_]+[a-z0-9]$/.test(long), long);
  assert.equal(checkModuleName("hp_ok_1"), "hp_ok_1");
  assert.throws(() => checkModuleName("has-dash"), UserError);
  assert.throws(() => checkModuleName("x".repeat(56)), UserError);
});

test("klp symbol names follow .klp.sym.<obj>.<name>,<sympos>", () => {
  assert.equal(
    klpSymbolName({ objName: "vmlinux", name: "saved_command_line", sympos: 0 }),
    ".klp.sym.vmlinux.saved_command_line,0",
  );
  assert.equal(
    klpSymbolName({ objName: "sctp", name: "__sctp_auth_cid", sympos: 2 }),
    ".klp.sym.sctp.__sctp_auth_cid,2",
  );
});

test("the stub has one klp_object per object (NULL name for vmlinux), sympos, callbacks, replace and modinfo", () => {
  const c = generateStub({
    name: "hp_t",
    replace: false,
    fixes: [
      { name: "01-a.patch", sha256: "a".repeat(64) },
      { name: 'odd "name".diff', sha256: "b".repeat(64) },
    ],
    patchObjects: [],
    namespaces: ["CRYPTO_INTERNAL"],
    objects: [
      {
        name: "vmlinux",
        functions: [{ oldName: "seq_show", sympos: 1, alias: "__hotpatch_u0_f0" }],
        callbacks: { pre_patch: "__hotpatch_u0_pre_patch" },
      },
      {
        name: "sctp",
        functions: [{ oldName: "sctp_x", sympos: 0, alias: "__hotpatch_u1_f0" }],
        callbacks: {},
      },
    ],
  });
  assert.match(c, /\.old_name = "seq_show", \.new_func = __hotpatch_u0_f0, \.old_sympos = 1 \}/);
  assert.match(c, /\.name = NULL,\n\t\t\.funcs = hp_funcs_0,/);
  assert.match(c, /\.name = "sctp",\n\t\t\.funcs = hp_funcs_1,/);
  assert.match(c, /\.pre_patch = __hotpatch_u0_pre_patch,/);
  assert.match(c, /extern int __hotpatch_u0_pre_patch\(struct klp_object \*obj\);/);
  assert.match(c, /\.replace = false,/);
  assert.match(c, /MODULE_INFO\(livepatch, "Y"\);/);
  assert.match(c, /MODULE_LICENSE\("GPL"\);/);
  assert.match(c, /MODULE_IMPORT_NS\(CRYPTO_INTERNAL\);/);
  // The fixes' modinfo, compiled as gcc compiles it in the module, reads back in order.
  const fixesC = c.slice(c.indexOf("static const char hp_fixes[]"));
  const dir = scratchDir("stub-fixes");
  writeFileSync(
    join(dir, "fixes.c"),
    [
      "#define __used __attribute__((used))",
      "#define __section(s) __attribute__((section(s)))",
      "#define __aligned(n) __attribute__((aligned(n)))",
      fixesC.slice(0, fixesC.indexOf(";") + 1),
      'static const char other[] __used __section(".modinfo") __aligned(1) = "license=GPL";',
    ].join("\n"),
  );
  execFileSync("gcc", ["-c", "-O2", "-o", join(dir, "fixes.o"), join(dir, "fixes.c")]);
  const modinfo = readElf(readFileSync(join(dir, "fixes.o"))).sectionByName(".modinfo");
  assert.deepEqual(parseModinfo(modinfo?.data ?? new Uint8Array()).hotpatch_fix, [
    `${"a".repeat(64)} 01-a.patch`,
    `${"b".repeat(64)} odd "name".diff`,
  ]);
  assert.match(c, /return klp_enable_patch\(&hp_patch\);/);
});

test("a fix's provenance is its file name and the sha256 of its bytes; a name with a line break is refused", () => {
  const dir = scratchDir("provenance");
  const path = join(dir, "01-x.patch");
  writeFileSync(path, "--- a/x\n+++ b/x\n");
  assert.deepEqual(fixProvenance(path), {
    name: "01-x.patch",
    sha256: createHash("sha256").update("--- a/x\n+++ b/x\n").digest("hex"),
  });
  assert.throws(() => fixModinfoValue({ name: "a\nb.patch", sha256: "c".repeat(64) }), UserError);
  assert.throws(() => fixProvenance(join(dir, "missing.patch")), /missing\.patch does not exist/);
});
