// SPDX-License-Identifier: GPL-2.0-only
// A C fixture compiled the way kbuild compiles kernel code that matters to the extractor
// (-ffunction-sections -fdata-sections, no PIC, kernel code model), into a scratch directory
// that lives for the test file: the klp unit tests read and rewrite the resulting object.
import { basename, join } from "node:path";
import { before } from "node:test";
import { execa } from "execa";
import { scratchDir } from "./scratch.ts";

export interface CompiledFixture {
  /** The scratch directory, removed after the tests. */
  dir: string;
  /** The object file; compiled in a before() hook, so read it inside tests. */
  objPath: string;
}

/**
 * The code-generation flags of kbuild that shape what the differ sees (kernel code model,
 * __fentry__ calls recorded in __mcount_loc, one section per function and object, no unwind
 * tables), for the differ's fixtures. Add "-g" for debug information as the target's recipe
 * has it (gcc 12's default DWARF 5, CONFIG_DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT).
 */
export const kernelCflags = [
  "-O2",
  "-mcmodel=kernel",
  "-fno-pic",
  "-mno-red-zone",
  "-mfentry",
  "-pg",
  "-mrecord-mcount",
  "-ffunction-sections",
  "-fdata-sections",
  "-fno-strict-aliasing",
  "-fno-common",
  "-fno-asynchronous-unwind-tables",
  "-fno-stack-protector",
  "-nostdinc",
  "-c",
];

/** Compiles `source` (an absolute .c path) before the file's tests and cleans up after;
 * `extraFlags` add the flags of a particular kernel (e.g. 6.12's -fcf-protection=branch). */
export function compiledFixture(source: string, prefix: string, extraFlags: string[] = []): CompiledFixture {
  const dir = scratchDir(prefix.replace(/-$/, ""));
  const fixture: CompiledFixture = { dir, objPath: join(dir, basename(source).replace(/\.c$/, ".o")) };
  before(async () => {
    await execa("gcc", [
      "-O2",
      "-ffunction-sections",
      "-fdata-sections",
      "-fno-pic",
      "-mcmodel=kernel",
      ...extraFlags,
      "-c",
      source,
      "-o",
      fixture.objPath,
    ]);
  });
  return fixture;
}
