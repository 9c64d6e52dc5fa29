// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch elf dump FILE.o [--json] [--section NAME]` and `hotpatch elf rewrite IN OUT`:
// inspect an object the way hotpatch sees it, and round-trip it through the ELF layer.
import { readFileSync } from "node:fs";
import type { Command } from "@commander-js/extra-typings";
import { dumpElf } from "../../elf/dump.ts";
import { renderDump } from "../../elf/dump-text.ts";
import { ElfError, type ElfObject, readElf, writeElf } from "../../elf/index.ts";
import { UserError } from "../../errors/user-error.ts";
import { writeFileAtomic } from "../../util/atomic.ts";
import { emit } from "../output.ts";

function readObject(file: string): ElfObject {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new UserError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`);
  }
  try {
    return readElf(bytes);
  } catch (error) {
    throw error instanceof ElfError ? error.inFile(file) : error;
  }
}

export function registerElf(program: Command): void {
  const elf = program.command("elf").description("Inspect and round-trip ELF relocatable objects (x86_64)");
  elf
    .command("dump")
    .description("Print sections, groups, symbols and relocations (like readelf -W)")
    .argument("<file>", "an x86_64 ELF relocatable object (.o)")
    .option("--json", "print one JSON object {sections, symbols, relocations, groups}")
    .option("--section <name>", "only this section, its symbols and its relocations")
    .action((file, options) => {
      const obj = readObject(file);
      emit(options, dumpElf(obj, options.section), renderDump);
    });
  elf
    .command("rewrite")
    .description("Read an object and write it back (byte-identical when nothing changes)")
    .argument("<in>", "input object")
    .argument("<out>", "output object")
    .action((input, output) => {
      const obj = readObject(input);
      writeFileAtomic(output, writeElf(obj));
    });
}
