// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch diff ORIG.o PATCHED.o [--json]`: what changed between two builds of one
// compilation unit, what a livepatch must include, and what cannot be live-patched.
// Exit 0: patchable changes; 3: no change; 2: refused; 1: bad input.
import type { Command } from "@commander-js/extra-typings";
import { debugCatalogue, diffObjects, entrySizesFromEnv, sameWithOldLineNumbers } from "../../diff/index.ts";
import { exitCodeOf, renderText, toJson } from "../../diff/report.ts";
import { assertSameUnit } from "../../diff/same-unit.ts";
import { ElfError, type ElfObject, readElfFile } from "../../elf/index.ts";
import { examples } from "../help.ts";
import { emit } from "../output.ts";

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
    .option(
      "--callers-patched <function...>",
      "non-static functions whose every caller this patch rebuilds (none takes its address or exports it): a changed prototype is then a note, not a refusal",
    )
    .option(
      "--old-line-numbers <object>",
      "the patched unit built again with the old line numbers (#line): functions unchanged there differ only by moved __LINE__s",
    )
    .addHelpText(
      "after",
      "\nExit status: 0 patchable changes, 3 no change, 2 refused, 1 bad input.\n" +
        "Special-section entry sizes can be forced with BUG_STRUCT_SIZE, JUMP_STRUCT_SIZE, EX_STRUCT_SIZE,\n" +
        "ALT_STRUCT_SIZE, PARA_STRUCT_SIZE, STATIC_CALL_STRUCT_SIZE in the environment.\n" +
        examples(
          "hotpatch diff orig/af_unix.o fixed/af_unix.o",
          "hotpatch diff --module --json orig.o fixed.o",
          "hotpatch diff --callers-patched sock_check orig/af_inet.o fixed/af_inet.o",
          "hotpatch diff --old-line-numbers renumbered/xfs_alloc.o orig/xfs_alloc.o fixed/xfs_alloc.o",
        ),
    )
    .action((origFile, patchedFile, options) => {
      const orig = readElfFile(origFile);
      const patched = readElfFile(patchedFile);
      assertSameUnit(orig, patched, origFile, patchedFile);
      checkDebugInfo(orig, origFile);
      checkDebugInfo(patched, patchedFile);
      const result = diffObjects(orig, patched, {
        ...sameLinesOption(orig, patched, options.oldLineNumbers),
        entrySizes: entrySizesFromEnv(process.env),
        objectKind: options.module ? "module" : "vmlinux",
        ...(options.sourceFunction ? { sourceFunctions: options.sourceFunction } : {}),
        ...(options.callersPatched ? { interfaceCallersPatched: new Set(options.callersPatched) } : {}),
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

/** Reads an object's debug information now, so that malformed DWARF is reported with its file. */
function checkDebugInfo(obj: ElfObject, file: string): void {
  try {
    debugCatalogue(obj);
  } catch (error) {
    throw error instanceof ElfError ? error.inFile(file) : error;
  }
}

/** --old-line-numbers: the functions that differ only by moved line numbers. */
function sameLinesOption(
  orig: ElfObject,
  patched: ElfObject,
  oldLinesFile: string | undefined,
): { sameWithOldLineNumbers?: Set<string> } {
  if (oldLinesFile === undefined) return {};
  const oldLines = readElfFile(oldLinesFile);
  assertSameUnit(patched, oldLines, "the patched object", oldLinesFile);
  return {
    sameWithOldLineNumbers: sameWithOldLineNumbers(diffObjects(orig, patched), diffObjects(orig, oldLines)),
  };
}
