// SPDX-License-Identifier: GPL-2.0-only
// Reading an object from a path, for commands: an unreadable file or a malformed object is a
// user error naming the file.
import { readUserFile } from "../util/user-files.ts";
import { ElfError } from "./errors.ts";
import type { ElfObject } from "./model.ts";
import { readElf } from "./reader.ts";

export function readElfFile(file: string): ElfObject {
  const bytes = readUserFile(file, "an object file");
  try {
    return readElf(bytes);
  } catch (error) {
    throw error instanceof ElfError ? error.inFile(file) : error;
  }
}
