// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch diff ORIG.o PATCHED.o [--json]`: what changed between two builds of one
// compilation unit, what a livepatch must include, and what cannot be live-patched.
// Exit 0: patchable changes; 3: no change; 2: refused; 1: bad input.
import { existsSync, statSync } from "node:fs";
import type { Command } from "@commander-js/extra-typings";
import { diffObjects, entrySizesFromEnv } from "../../diff/index.ts";
import { exitCodeOf, renderText, toJson } from "../../diff/report.ts";
import { assertSameUnit } from "../../diff/same-unit.ts";
import { readElfFile } from "../../elf/index.ts";
import { UserError } from "../../errors/user-error.ts";
import { type MovedLine, movedLinesOf } from "../../kernel/moved-lines.ts";
import { readUserFile } from "../../util/user-files.ts";
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
      "--fix <patch>",
      "the source fix (with --source-tree): a line it moved is a __LINE__ argument, whatever the callee",
    )
    .option("--source-tree <dir>", "the unpatched source tree the fix applies to (with --fix)")
    .addHelpText(
      "after",
      "\nExit status: 0 patchable changes, 3 no change, 2 refused, 1 bad input.\n" +
        "Special-section entry sizes can be forced with BUG_STRUCT_SIZE, JUMP_STRUCT_SIZE, EX_STRUCT_SIZE,\n" +
        "ALT_STRUCT_SIZE, PARA_STRUCT_SIZE, STATIC_CALL_STRUCT_SIZE in the environment.\n" +
        examples(
          "hotpatch diff orig/af_unix.o fixed/af_unix.o",
          "hotpatch diff --module --json orig.o fixed.o",
          "hotpatch diff --fix fix.patch --source-tree linux/ orig/xfs_inode.o fixed/xfs_inode.o",
        ),
    )
    .action((origFile, patchedFile, options) => {
      const orig = readElfFile(origFile);
      const patched = readElfFile(patchedFile);
      assertSameUnit(orig, patched, origFile, patchedFile);
      const movedLine = movedLinesOption(options.fix, options.sourceTree);
      const result = diffObjects(orig, patched, {
        ...(movedLine ? { movedLine } : {}),
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

/** The lines a fix moves, from --fix and --source-tree (both or neither). */
function movedLinesOption(fix: string | undefined, tree: string | undefined): MovedLine | undefined {
  if (fix === undefined && tree === undefined) return undefined;
  if (fix === undefined || tree === undefined)
    throw new UserError("--fix and --source-tree go together: the fix's line numbers refer to that tree.");
  if (!existsSync(tree) || !statSync(tree).isDirectory())
    throw new UserError(`The source tree ${tree} is not a directory.`);
  return movedLinesOf(readUserFile(fix, "the fix").toString("utf8"), tree);
}
