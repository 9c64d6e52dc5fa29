// SPDX-License-Identifier: GPL-2.0-only
// Typed errors for everything a user can cause: bad input, a missing tool, a refused patch.
// They are printed as one sentence (no stack trace) by the single handler in src/cli/main.ts.

/** Exit codes shared by every command. `diff` and `build` add REFUSED and NO_CHANGE. */
export const ExitCode = {
  OK: 0,
  ERROR: 1,
  REFUSED: 2,
  NO_CHANGE: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class UserError extends Error {
  override readonly name = "UserError";
  constructor(
    message: string,
    /** Extra lines shown under the sentence (e.g. the last lines of a build log). */
    readonly details: string[] = [],
    readonly exitCode: ExitCode = ExitCode.ERROR,
  ) {
    super(message);
  }
}

/** A required program is not installed; names the Debian package that provides it. */
export class MissingToolError extends UserError {
  constructor(tool: string, debianPackage: string) {
    super(`${tool} is not installed: install it with 'apt-get install ${debianPackage}'.`);
  }
}
