// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch diff ORIG.o PATCHED.o [--json]`: what changed between two builds of one
// compilation unit, what a livepatch must include, and what cannot be live-patched.
// Exit 0: patchable changes; 3: no change; 2: refused; 1: bad input.
import { readFileSync } from "node:fs";
import type { Command } from "@commander-js/extra-typings";
import { diffObjects, entrySizesFromEnv } from "../../diff/index.ts";
import { exitCodeOf, renderText, toJson } from "../../diff/report.ts";
import { ElfError, type ElfObject, readElf } from "../../elf/index.ts";
import { UserError } from "../../errors/user-error.ts";
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

export function registerDiff(program: Command): void {
  program
    .command("diff")
    .description(
      "Show what changed between two builds of one object, what a livepatch must include, and what cannot be live-patched",
    )
    .argument(
      "<orig>",
      "the object built from the unpatched source (.o, -ffunction-sections -fdata-sections)",
    )
    .argument("<patched>", "the same object built from the patched source")
    .option("--json", "print one JSON document (schema: docs/diff.md)")
    .option("--module", "the unit is linked into a loadable module, not vmlinux")
    .option("--source-function <name...>", "functions the fix touched (only used to explain 'inlines X')")
    .addHelpText(
      "after",
      "\nExit status: 0 patchable changes, 3 no change, 2 refused, 1 bad input.\n" +
        "Special-section entry sizes can be forced with BUG_STRUCT_SIZE, JUMP_STRUCT_SIZE, EX_STRUCT_SIZE,\n" +
        "ALT_STRUCT_SIZE, PARA_STRUCT_SIZE, STATIC_CALL_STRUCT_SIZE in the environment.",
    )
    .action((origFile, patchedFile, options) => {
      const orig = readObject(origFile);
      const patched = readObject(patchedFile);
      const result = diffObjects(orig, patched, {
        entrySizes: entrySizesFromEnv(process.env),
        objectKind: options.module ? "module" : "vmlinux",
        ...(options.sourceFunction ? { sourceFunctions: options.sourceFunction } : {}),
      });
      const json = toJson(result);
      emit(options, json, renderText);
      const code = exitCodeOf(result);
      if (result.verdict === "refused") {
        const first = result.refused[0];
        process.stderr.write(
          `hotpatch: refused: ${result.refused.length} change(s) cannot be live-patched${first ? ` (${first.name}: ${first.kind})` : ""}.\n`,
        );
      }
      process.exitCode = code;
    });
}
