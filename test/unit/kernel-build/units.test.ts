// SPDX-License-Identifier: GPL-2.0-only
// Unit placement: kbuild .cmd parsing (module vs vmlinux, module name), Makefile evaluation,
// touched-file classification, the include scan.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { headerUsers, scanIncludes } from "../../../src/kernel/includes.ts";
import { cmdFileOf, parseUnitCommand, retarget, splitShell } from "../../../src/kernel/kbuild-cmd.ts";
import {
  classifyTouched,
  klpObjectOf,
  moduleFileOf,
  parseKconfig,
  unitConfigState,
} from "../../../src/kernel/units.ts";
import { scratchDir } from "../../helpers/scratch.ts";

const root = scratchDir("hotpatch-units");

const MODULE_CMD = `cmd_net/sctp/auth.o := gcc -Wp,-MMD,net/sctp/.auth.o.d -nostdinc -I./include -D__KERNEL__ -pg -mrecord-mcount -mfentry -DCC_USING_FENTRY -g -ffunction-sections -fdata-sections  -DMODULE  -DKBUILD_BASENAME='"auth"' -DKBUILD_MODNAME='"sctp"' -D__KBUILD_MODNAME=kmod_sctp -c -o net/sctp/auth.o net/sctp/auth.c   ; ./tools/objtool/objtool --hacks=jump_label --orc --retpoline --rethunk --sls --static-call --uaccess   --module net/sctp/auth.o

source_net/sctp/auth.o := net/sctp/auth.c
`;
const BUILTIN_CMD = `cmd_fs/proc/cmdline.o := gcc -Wp,-MMD,fs/proc/.cmdline.o.d -nostdinc -I./include -DFOO='"a b"' -DPOUND='$(pound)x' -DDOLLAR=$$y -mfentry -ffunction-sections -fdata-sections    -DKBUILD_MODFILE='"fs/proc/proc"' -DKBUILD_BASENAME='"cmdline"' -DKBUILD_MODNAME='"proc-x"' -D__KBUILD_MODNAME=kmod_proc -c -o fs/proc/cmdline.o fs/proc/cmdline.c   ; ./tools/objtool/objtool --orc   fs/proc/cmdline.o
`;

test(".cmd: a module unit has -DMODULE and its KBUILD_MODNAME", () => {
  const cmd = parseUnitCommand(MODULE_CMD, "net/sctp/auth.o");
  assert.equal(cmd.isModule, true);
  assert.equal(cmd.modName, "sctp");
  assert.equal(cmd.source, "net/sctp/auth.c");
  assert.equal(cmd.output, "net/sctp/auth.o");
  assert.equal(cmd.compile[0], "gcc");
  assert.ok(cmd.compile.includes('-DKBUILD_BASENAME="auth"'));
  assert.equal(cmd.post.length, 1);
  assert.deepEqual(cmd.post[0]?.slice(-2), ["--module", "net/sctp/auth.o"]);
  assert.equal(klpObjectOf(cmd), "sctp");
});

test(".cmd: a built-in unit is vmlinux; make and shell escapes are undone", () => {
  const cmd = parseUnitCommand(BUILTIN_CMD, "fs/proc/cmdline.o");
  assert.equal(cmd.isModule, false);
  assert.equal(klpObjectOf(cmd), "vmlinux");
  assert.ok(cmd.compile.includes('-DFOO="a b"'));
  assert.ok(cmd.compile.includes("-DPOUND=#x"));
  assert.ok(cmd.compile.includes("-DDOLLAR=$y"));
  assert.equal(cmd.modName, "proc-x");
  assert.equal(cmdFileOf("fs/proc/cmdline.o"), "fs/proc/.cmdline.o.cmd");
  assert.throws(() => parseUnitCommand(BUILTIN_CMD, "fs/proc/other.o"), /no 'cmd_fs\/proc\/other.o' line/);
});

test(".cmd: Linux 6.12 names the line savedcmd_<object> (6.3 and later)", () => {
  const cmd = parseUnitCommand(BUILTIN_CMD.replace(/^cmd_/, "savedcmd_"), "fs/proc/cmdline.o");
  assert.equal(cmd.source, "fs/proc/cmdline.c");
  assert.equal(cmd.post.length, 1);
});

test("module names use '_' for the klp object", () => {
  const cmd = parseUnitCommand(MODULE_CMD.replaceAll('"sctp"', '"usb-storage"'), "net/sctp/auth.o");
  assert.equal(klpObjectOf(cmd), "usb_storage");
});

test("retarget: output replaced everywhere, dependency file dropped", () => {
  const cmd = parseUnitCommand(MODULE_CMD, "net/sctp/auth.o");
  const [compile, objtool] = retarget(cmd, "/tmp/out/auth.o");
  assert.ok(!compile?.some((w) => w.startsWith("-Wp,-MMD")));
  assert.equal(compile?.[compile.indexOf("-o") + 1], "/tmp/out/auth.o");
  assert.equal(compile?.at(-1), "net/sctp/auth.c");
  assert.equal(objtool?.at(-1), "/tmp/out/auth.o");
});

test("splitShell: quotes, escapes, ; and &&", () => {
  assert.deepEqual(splitShell(`a 'b c' "d \\"e\\"" f\\ g ; h && i`), [
    ["a", "b c", 'd "e"', "f g"],
    ["h"],
    ["i"],
  ]);
});

test("classifyTouched", () => {
  assert.equal(classifyTouched("net/unix/af_unix.c"), "c-source");
  assert.equal(classifyTouched("include/net/af_unix.h"), "header");
  assert.equal(classifyTouched("arch/x86/entry/entry_64.S"), "assembly");
  assert.equal(classifyTouched("net/unix/Makefile"), "build-system");
  assert.equal(classifyTouched("net/Kconfig"), "build-system");
  assert.equal(classifyTouched("Documentation/x.rst"), "ignored");
  assert.equal(classifyTouched("tools/testing/selftests/net/af_unix/test.c"), "ignored");
  assert.equal(classifyTouched("rust/kernel/lib.rs"), "other");
});

function writeTree(files: Record<string, string>): string {
  const tree = mkdtempSync(join(root, "tree-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(tree, path, ".."), { recursive: true });
    writeFileSync(join(tree, path), text);
  }
  return tree;
}

test("Makefile evaluation: obj-y, obj-m, composites, directory gates, unset options", () => {
  const tree = writeTree({
    "net/Makefile":
      "obj-$(CONFIG_UNIX) += unix/\nobj-$(CONFIG_IP_SCTP) += sctp/\nobj-$(CONFIG_OFF) += off/\n",
    "net/unix/Makefile":
      "obj-$(CONFIG_UNIX) += unix.o\nunix-y := af_unix.o garbage.o\nunix-$(CONFIG_SYSCTL) += sysctl_net_unix.o\nunix-$(CONFIG_NOPE) += diag.o\n",
    "net/sctp/Makefile": "obj-$(CONFIG_IP_SCTP) += sctp.o\nsctp-y := sm_statetable.o \\\n\tauth.o\n",
    "net/off/Makefile": "obj-y += thing.o\n",
    "fs/Makefile": "obj-y += open.o\nobj-$(CONFIG_WEIRD) += $(foo)\n",
  });
  const config = parseKconfig("CONFIG_UNIX=y\nCONFIG_IP_SCTP=m\nCONFIG_SYSCTL=y\n# CONFIG_NOPE is not set\n");
  assert.equal(unitConfigState(tree, "net/unix/af_unix.o", config), "y");
  assert.equal(unitConfigState(tree, "net/unix/sysctl_net_unix.o", config), "y");
  assert.equal(unitConfigState(tree, "net/unix/diag.o", config), "n");
  assert.equal(unitConfigState(tree, "net/sctp/auth.o", config), "m");
  assert.equal(unitConfigState(tree, "net/off/thing.o", config), "n");
  assert.equal(unitConfigState(tree, "fs/open.o", config), "y");
  assert.equal(unitConfigState(tree, "fs/mystery.o", config), "unknown");
});

test("moduleFileOf: the .ko from modules.order by underscore name", () => {
  const modules = writeTree({
    "modules.order": "kernel/net/sctp/sctp.ko\nkernel/drivers/usb/storage/usb-storage.ko\n",
    "kernel/net/sctp/sctp.ko": "",
    "kernel/drivers/usb/storage/usb-storage.ko.xz": "",
  });
  assert.equal(moduleFileOf(modules, "sctp"), "kernel/net/sctp/sctp.ko");
  assert.equal(moduleFileOf(modules, "usb_storage"), "kernel/drivers/usb/storage/usb-storage.ko.xz");
  assert.equal(moduleFileOf(modules, "nope"), undefined);
});

test("include scan: direct and transitive users, quoted and angle includes", () => {
  const tree = writeTree({
    "include/linux/a.h": "#define A 1\n",
    "include/linux/b.h": "#include <linux/a.h>\n",
    "net/x/local.h": "#include <linux/b.h>\n",
    "net/x/one.c": '#include "local.h"\n',
    "net/y/two.c": "#  include <linux/a.h>\n",
    "net/y/three.c": "#include <linux/other.h>\n",
    "Documentation/doc.c": "#include <linux/a.h>\n",
  });
  const index = scanIncludes(tree);
  assert.deepEqual(headerUsers(index, "include/linux/a.h"), ["net/x/one.c", "net/y/two.c"]);
  assert.deepEqual(headerUsers(index, "net/x/local.h"), ["net/x/one.c"]);
  assert.deepEqual(headerUsers(index, "include/linux/none.h"), []);
});
