// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch elf dump FILE.o [--json] [--section NAME]` and `hotpatch elf rewrite IN OUT`:
// inspect an object the way hotpatch sees it, and round-trip it through the ELF layer.
import type { Command } from "@commander-js/extra-typings";
import { dumpElf } from "../../elf/dump.ts";
import { renderDump } from "../../elf/dump-text.ts";
import { readElfFile, writeElf } from "../../elf/index.ts";
import { writeFileAtomic } from "../../util/atomic.ts";
import { examples } from "../help.ts";
import { emit } from "../output.ts";

export function registerElf(program: Command): void {
  const elf = program.command("elf").description("Inspect and round-trip ELF relocatable objects (x86_64)");
  elf
    .command("dump")
    .description("Print sections, groups, symbols and relocations (like readelf -W)")
    .argument("<file>", "an x86_64 ELF relocatable object (.o)")
    .option("--json", "print one JSON object {sections, symbols, relocations, groups}")
    .option("--section <name>", "only this section, its symbols and its relocations")
    .addHelpText(
      "after",
      examples(
        "hotpatch elf dump cmdline.o",
        "hotpatch elf dump --json --section .text.cmdline_proc_show cmdline.o",
      ),
    )
    .action((file, options) => {
      const obj = readElfFile(file);
      emit(options, dumpElf(obj, options.section), renderDump);
    });
  elf
    .command("rewrite")
    .description("Read an object and write it back (byte-identical when nothing changes)")
    .argument("<in>", "input object")
    .argument("<out>", "output object")
    .addHelpText("after", examples("hotpatch elf rewrite cmdline.o copy.o && cmp cmdline.o copy.o"))
    .action((input, output) => {
      const obj = readElfFile(input);
      writeFileAtomic(output, writeElf(obj));
    });
}
