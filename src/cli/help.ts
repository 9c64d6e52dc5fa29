// SPDX-License-Identifier: GPL-2.0-only
// The "Examples:" block under a command's --help, laid out the same way for every command.

/** Help text listing example command lines (two-space indent, as commander lists options). */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  ${line}`).join("\n")}`;
}
