// SPDX-License-Identifier: GPL-2.0-only
// Small stand-ins for kernel modules, compiled on the spot with the host gcc: a .modinfo
// section and a struct laid out like 6.1's klp_patch (mod, objs, states, replace), plus a
// file_operations-like struct that must not be mistaken for it. Enough to test the pre-load
// checks without a kernel tree; real modules are tested in the VM.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "../../helpers/scratch.ts";

export interface FakeKoOptions {
  modinfo: string[];
  /** Emit a klp_patch-like struct with this replace flag (omit for none). */
  replace?: boolean;
  /** Link it (ld -r) with a GNU build ID, as kbuild links modules. */
  buildId?: boolean;
}

export function fakeKo(name: string, options: FakeKoOptions): string {
  const dir = scratchDir("hp-fake-ko");
  const info = options.modinfo.map((e) => `${JSON.stringify(e)} "\\0"`).join(" ");
  const patch =
    options.replace === undefined
      ? ""
      : `struct klp_patch_like { struct module *mod; struct obj *objs; void *states; _Bool replace; };
struct klp_patch_like patch = { &__this_module, objs, 0, ${options.replace ? 1 : 0} };`;
  const source = `
struct module { int x; };
extern struct module __this_module;
struct obj { const char *name; void *funcs; };
struct obj objs[2] = { { "vmlinux", 0 } };
int open_fn(void) { return 0; }
struct fops_like { struct module *owner; int (*open)(void); _Bool flag[24]; };
struct fops_like fops = { &__this_module, open_fn, { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 } };
${patch}
static const char modinfo[] __attribute__((section(".modinfo"), used, aligned(1))) = ${info || '""'};
`;
  writeFileSync(join(dir, `${name}.c`), source);
  const ko = join(dir, `${name}.ko`);
  const object = options.buildId ? join(dir, `${name}.o`) : ko;
  execFileSync("gcc", ["-c", "-O2", "-fno-pic", "-o", object, join(dir, `${name}.c`)]);
  if (options.buildId) execFileSync("ld", ["-r", "--build-id=sha1", "-o", ko, object]);
  return ko;
}

/** A `hotpatch_fix` modinfo entry for a fix called `name` (its sha256 made up from the name). */
export function fixEntry(name: string): string {
  return `hotpatch_fix=${createHash("sha256").update(name).digest("hex")} ${name}`;
}

export const RELEASE = "6.1.0-50-amd64";
export const VERMAGIC = `vermagic=${RELEASE} SMP preempt mod_unload modversions `;
