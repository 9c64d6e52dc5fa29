// SPDX-License-Identifier: GPL-2.0-only
// Reading an object from a path, for commands: an unreadable file or a malformed object is a
// user error naming the file.
import { readFileSync } from "node:fs";
import { UserError } from "../errors/user-error.ts";
import { ElfError } from "./errors.ts";
import type { ElfObject } from "./model.ts";
import { readElf } from "./reader.ts";

export function readElfFile(file: string): ElfObject {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UserError(`${file} does not exist.`);
    if (code === "EISDIR") throw new UserError(`${file} is a directory, not an object file.`);
    throw new UserError(`cannot read ${file}: ${code ?? String(error)}.`);
  }
  try {
    return readElf(bytes);
  } catch (error) {
    throw error instanceof ElfError ? error.inFile(file) : error;
  }
}
