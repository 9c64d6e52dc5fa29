// SPDX-License-Identifier: GPL-2.0-only
// hotpatch(8), written from the very program the package runs: every command with its usage,
// description and options, so the man page cannot drift from `--help`.
import type { Command } from "@commander-js/extra-typings";

/** Escapes text for roff: backslashes, and a leading dot or quote that would start a request. */
function roff(text: string): string {
  return text
    .replaceAll("\\", "\\e")
    .replaceAll("-", "\\-")
    .replace(/^([.'])/gm, "\\&$1");
}

function optionLines(command: Command): string[] {
  return command.options.flatMap((option) => {
    const fallback =
      option.defaultValue !== undefined && typeof option.defaultValue !== "boolean"
        ? ` (default: ${String(option.defaultValue)})`
        : "";
    return [".TP", `.B ${roff(option.flags)}`, roff(`${option.description}${fallback}`)];
  });
}

export interface ManPage {
  name: string;
  section: 1 | 8;
  /** Footer centre, e.g. "hotpatch 0.1.0". */
  source: string;
  /** Paragraphs after the command list (files, environment, see also). */
  extraSections: Array<{ title: string; paragraphs: string[] }>;
}

export function manPage(program: Command, page: ManPage, date: string): string {
  const lines = [
    `.TH ${page.name.toUpperCase()} ${page.section} "${date}" "${roff(page.source)}" "System Administration"`,
    ".SH NAME",
    `${page.name} \\- ${roff(program.description())}`,
    ".SH SYNOPSIS",
    `.B ${page.name}`,
    ".I command",
    "[options]",
    ".SH COMMANDS",
  ];
  for (const command of program.commands as Command[]) {
    lines.push(
      ".SS",
      roff(`${page.name} ${command.name()} ${command.usage()}`),
      ".PP",
      roff(command.description()),
      ...optionLines(command),
    );
  }
  for (const section of page.extraSections) {
    lines.push(`.SH ${section.title.toUpperCase()}`);
    for (const paragraph of section.paragraphs) lines.push(".PP", roff(paragraph));
  }
  return `${lines.join("\n")}\n`;
}
