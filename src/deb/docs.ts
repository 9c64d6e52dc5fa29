// SPDX-License-Identifier: GPL-2.0-only
// What every Debian package carries in /usr/share/doc/<package>: a machine-readable copyright
// file (DEP-5) and the changelog, gzipped (changelog.gz for a native version, else
// changelog.Debian.gz). The changelog's date is the package's epoch (SOURCE_DATE_EPOCH), so
// the same inputs give the same package.
import { type DebEntry, gzipDoc, packageEpoch } from "./build-deb.ts";
import { descriptionBody, isNativeVersion } from "./control.ts";

export interface CopyrightStanza {
  files?: string;
  copyright: string;
  license: string;
}

export interface DocInputs {
  package: string;
  version: string;
  maintainer: string;
  /** Changelog entry lines (each becomes a `  * ` item). */
  changes: string[];
  copyright: {
    upstreamName: string;
    comment?: string;
    copyright: string;
    license: "GPL-2";
    /** Further stanzas, e.g. bundled npm packages with their own licenses. */
    more?: CopyrightStanza[];
    /** Full texts of licenses other than GPL-2 named in the stanzas (License: <name> + text). */
    licenseTexts?: Record<string, string>;
  };
}

/** RFC 2822 date of the package's epoch, as debian/changelog wants it. */
function changelogDate(): string {
  return new Date(packageEpoch() * 1000).toUTCString().replace("GMT", "+0000");
}

export function changelogText(inputs: DocInputs): string {
  return [
    `${inputs.package} (${inputs.version}) bookworm; urgency=medium`,
    "",
    ...inputs.changes.flatMap((c) =>
      descriptionBody([c], 76).map((line, i) => `${i === 0 ? "  *" : "   "}${line}`),
    ),
    "",
    ` -- ${inputs.maintainer}  ${changelogDate()}`,
    "",
  ].join("\n");
}

const GPL2 = [
  "This program is free software; you can redistribute it and/or modify it under the terms of the GNU General Public License version 2 as published by the Free Software Foundation.",
  "On Debian systems, the complete text of the GNU General Public License version 2 can be found in '/usr/share/common-licenses/GPL-2'.",
];

export function copyrightText(inputs: DocInputs["copyright"]): string {
  const stanzas = [
    [
      "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/",
      `Upstream-Name: ${inputs.upstreamName}`,
      ...(inputs.comment ? [`Comment: ${inputs.comment}`] : []),
    ],
    ["Files: *", `Copyright: ${inputs.copyright}`, `License: ${inputs.license}`],
    ...(inputs.more ?? []).map((s) => [
      `Files: ${s.files ?? "*"}`,
      `Copyright: ${s.copyright}`,
      `License: ${s.license}`,
    ]),
    [`License: GPL-2`, ...descriptionBody(GPL2)],
    ...Object.entries(inputs.licenseTexts ?? {}).map(([name, text]) => [
      `License: ${name}`,
      ...descriptionBody(text.split(/\n\s*\n/)),
    ]),
  ];
  return `${stanzas.map((s) => s.join("\n")).join("\n\n")}\n`;
}

export function docEntries(inputs: DocInputs): DebEntry[] {
  const doc = `usr/share/doc/${inputs.package}`;
  const changelog = isNativeVersion(inputs.version) ? "changelog.gz" : "changelog.Debian.gz";
  return [
    { kind: "file", path: `${doc}/copyright`, data: copyrightText(inputs.copyright) },
    { kind: "file", path: `${doc}/${changelog}`, data: gzipDoc(changelogText(inputs)) },
  ];
}
