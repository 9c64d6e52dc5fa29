// SPDX-License-Identifier: GPL-2.0-only
// A diff only means something between two builds of one compilation unit. Two unrelated
// objects would otherwise "differ" by every function and yield a nonsense patch, so the
// first STT_FILE symbol (the source file the compiler was given) must agree when both have one.
import { type ElfObject, STT } from "../elf/index.ts";
import { UserError } from "../errors/user-error.ts";

function sourceFileOf(obj: ElfObject): string | undefined {
  return obj.symbols.find((symbol) => symbol.type === STT.FILE && symbol.name !== "")?.name;
}

export function assertSameUnit(
  orig: ElfObject,
  patched: ElfObject,
  origFile: string,
  patchedFile: string,
): void {
  const before = sourceFileOf(orig);
  const after = sourceFileOf(patched);
  if (before && after && before !== after) {
    throw new UserError(
      `${origFile} and ${patchedFile} are builds of different source files (${before} and ${after}): diff two builds of one compilation unit.`,
    );
  }
}
