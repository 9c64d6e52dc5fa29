// SPDX-License-Identifier: GPL-2.0-only
// The binary package's control file (deb-control(5)): names and versions checked the way dpkg
// checks them, the description folded into its summary and its body, every field on its line.
import { UserError } from "../errors/user-error.ts";

export interface Control {
  package: string;
  version: string;
  architecture: "all" | "amd64";
  /** "Full Name <address>". */
  maintainer: string;
  depends: string[];
  section: string;
  priority: "optional" | "required" | "important" | "standard";
  /** One line: what the package is. */
  summary: string;
  /** Paragraphs of the long description. */
  description: string[];
  /** KiB the installed files take (dpkg's estimate). */
  installedSize: number;
  homepage?: string;
  /** Fields of our own, e.g. Hotpatch-Module (dpkg keeps and shows any field). */
  extra?: Record<string, string>;
}

/** Debian policy 5.6.1: lower case letters, digits, + - . ; at least two; starting alphanumeric. */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
/** Policy 5.6.12: [epoch:]upstream[-revision]; upstream starts with a digit. */
const VERSION = /^(\d+:)?\d[A-Za-z0-9.+~]*(-[A-Za-z0-9.+~]+)?$/;
const MAINTAINER = /^[^<>\n]+ <[^<>@\s]+@[^<>@\s]+>$/;

export function checkPackageName(name: string): string {
  if (!PACKAGE_NAME.test(name))
    throw new UserError(
      `'${name}' is not a Debian package name (lower-case letters, digits, '+', '-' and '.', at least two, starting with a letter or digit).`,
    );
  return name;
}

export function checkVersion(version: string): string {
  if (!VERSION.test(version))
    throw new UserError(
      `'${version}' is not a Debian version (it starts with a digit and uses letters, digits, '.', '+', '~', one '-' before the Debian revision).`,
    );
  return version;
}

export function checkMaintainer(maintainer: string): string {
  if (!MAINTAINER.test(maintainer))
    throw new UserError(
      `'${maintainer}' is not a maintainer: write it as 'Full Name <address@example.org>'.`,
    );
  return maintainer;
}

/** A native package (no Debian revision) keeps changelog.gz, others changelog.Debian.gz (policy 12.7). */
export function isNativeVersion(version: string): boolean {
  return !version.replace(/^\d+:/, "").includes("-");
}

/** A description body: paragraphs wrapped to `width` columns, each line led by a space, " ." between. */
export function descriptionBody(paragraphs: readonly string[], width = 79): string[] {
  const lines: string[] = [];
  for (const [i, paragraph] of paragraphs.entries()) {
    if (i > 0) lines.push(" .");
    let line = "";
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 2 + word.length > width) {
        lines.push(` ${line}`);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    if (line) lines.push(` ${line}`);
  }
  return lines;
}

export function renderControl(control: Control): string {
  const fields: Array<[string, string | undefined]> = [
    ["Package", checkPackageName(control.package)],
    ["Version", checkVersion(control.version)],
    ["Architecture", control.architecture],
    ["Maintainer", checkMaintainer(control.maintainer)],
    ["Installed-Size", String(control.installedSize)],
    ["Depends", control.depends.length ? control.depends.join(", ") : undefined],
    ["Section", control.section],
    ["Priority", control.priority],
    ["Homepage", control.homepage],
    ...Object.entries(control.extra ?? {}),
    ["Description", control.summary],
  ];
  const lines = fields.filter((f): f is [string, string] => f[1] !== undefined).map(([k, v]) => `${k}: ${v}`);
  return `${[...lines, ...descriptionBody(control.description)].join("\n")}\n`;
}
