// SPDX-License-Identifier: GPL-2.0-only
// The one error type of the ELF layer: malformed or unsupported input, and edits that would
// leave an object inconsistent. It is a UserError, so the CLI prints one sentence, no stack.
import { UserError } from "../errors/user-error.ts";

export class ElfError extends UserError {
  constructor(
    /** What is wrong, without the location ("symbol 12 names section 900, which does not exist"). */
    readonly reason: string,
    /** File offset of the offending structure, when there is one. */
    readonly offset?: number,
    /** The file, when known (added by the caller that opened it). */
    readonly file?: string,
  ) {
    super(ElfError.format(reason, offset, file));
  }

  static format(reason: string, offset?: number, file?: string): string {
    const where = offset === undefined ? "" : ` (at file offset 0x${offset.toString(16)})`;
    return `${file === undefined ? "bad ELF object" : file}: ${reason}${where}.`;
  }

  /** The same error, naming the file it came from. */
  inFile(file: string): ElfError {
    return new ElfError(this.reason, this.offset, file);
  }
}
