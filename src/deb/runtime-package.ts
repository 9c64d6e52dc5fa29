// SPDX-License-Identifier: GPL-2.0-only
// The `hotpatch` Debian package: the runtime commands as one bundled script for Debian 12's own
// nodejs (18.x), the boot-time unit, a man page and the operator's documentation. Nothing comes
// from npm at run time: the npm packages the bundle contains are listed in its copyright file
// with their licenses. Built by `npm run deb` (scripts/deb.ts), which makes the bundle.
import { type BuiltDeb, buildDeb, type DebEntry, gzipDoc } from "./build-deb.ts";
import type { CopyrightStanza } from "./docs.ts";
import { docEntries } from "./docs.ts";
import { runtimePostinst, runtimePostrm } from "./runtime-scripts.ts";

export const RUNTIME_PACKAGE = "hotpatch";
/** Where the bundle lives; /usr/bin/hotpatch links to it (node reads it as ESM by its name). */
export const RUNTIME_BUNDLE_PATH = "usr/lib/hotpatch/hotpatch.mjs";
export const UNIT_PATH = "lib/systemd/system/hotpatch.service";

/** An npm package compiled into the bundle, with its license. */
export interface BundledPackage {
  name: string;
  version: string;
  /** SPDX identifier from its package.json, e.g. MIT. */
  license: string;
  /** Its copyright lines (from its LICENSE file). */
  copyright: string;
  /** The full text of its LICENSE file. */
  licenseText: string;
}

export interface RuntimePackageInputs {
  version: string;
  maintainer: string;
  /** The bundled runtime CLI (ESM, starting with its #! line). */
  bundle: string;
  unit: string;
  /** hotpatch(8), uncompressed roff. */
  manPage: string;
  /** Documents for /usr/share/doc/hotpatch: file name -> text. */
  docs: Record<string, string>;
  bundled: BundledPackage[];
  outDir: string;
}

/** Debian's names for the licenses npm packages use (/usr/share/common-licenses has neither). */
const DEBIAN_LICENSE: Record<string, string> = { MIT: "Expat", ISC: "ISC", "BSD-2-Clause": "BSD-2-clause" };

/** Licenses whose full text Debian systems carry in /usr/share/common-licenses. */
const COMMON_LICENSES = new Set(["Apache-2.0", "GPL-2", "GPL-3", "LGPL-2.1", "LGPL-3", "MPL-2.0", "CC0-1.0"]);

function bundledStanzas(bundled: BundledPackage[]): {
  stanzas: CopyrightStanza[];
  texts: Record<string, string>;
} {
  const texts: Record<string, string> = {};
  const stanzas = bundled.map((pkg) => {
    const license = DEBIAN_LICENSE[pkg.license] ?? pkg.license;
    if (COMMON_LICENSES.has(license)) {
      texts[license] ??=
        `On Debian systems, the complete text of the ${license} license can be found in '/usr/share/common-licenses/${license}'.`;
    }
    // The generic text of the license: the package's LICENSE without its copyright lines.
    texts[license] ??= pkg.licenseText
      .split("\n")
      .filter((line) => !/^\s*(copyright|\(c\))/i.test(line) && !/^\s*(MIT|ISC) License\s*$/i.test(line))
      .join("\n")
      .trim();
    return {
      files: `${RUNTIME_BUNDLE_PATH} (npm ${pkg.name} ${pkg.version})`,
      copyright: pkg.copyright,
      license,
    };
  });
  return { stanzas, texts };
}

export async function packageRuntime(inputs: RuntimePackageInputs): Promise<BuiltDeb> {
  const { stanzas, texts } = bundledStanzas(inputs.bundled);
  const doc = `usr/share/doc/${RUNTIME_PACKAGE}`;
  const entries: DebEntry[] = [
    { kind: "file", path: RUNTIME_BUNDLE_PATH, data: inputs.bundle, mode: 0o755 },
    { kind: "symlink", path: "usr/bin/hotpatch", target: "../lib/hotpatch/hotpatch.mjs" },
    { kind: "file", path: UNIT_PATH, data: inputs.unit },
    { kind: "file", path: "usr/share/man/man8/hotpatch.8.gz", data: gzipDoc(inputs.manPage) },
    ...Object.entries(inputs.docs).map(
      ([name, text]): DebEntry => ({ kind: "file", path: `${doc}/${name}`, data: text }),
    ),
    ...docEntries({
      package: RUNTIME_PACKAGE,
      version: inputs.version,
      maintainer: inputs.maintainer,
      changes: [
        `hotpatch ${inputs.version}: the runtime commands and the boot-time unit, for Debian's nodejs.`,
      ],
      copyright: {
        upstreamName: "hotpatch",
        copyright: `2025-${new Date().getUTCFullYear()} the hotpatch authors`,
        license: "GPL-2",
        more: stanzas,
        licenseTexts: texts,
      },
    }),
  ];
  return buildDeb(
    {
      control: {
        package: RUNTIME_PACKAGE,
        version: inputs.version,
        architecture: "all",
        maintainer: inputs.maintainer,
        depends: ["nodejs (>= 18)", "kmod"],
        section: "admin",
        priority: "optional",
        summary: "operate Linux kernel live patches (hotpatch runtime)",
        description: [
          "hotpatch turns Linux kernel security fixes into livepatch modules for the exact kernel a server runs, and operates them without a reboot. This package holds what a server needs to operate them: 'hotpatch load', 'unload', 'list', 'status', 'install' and 'uninstall', and hotpatch.service, which loads the installed patches of the running kernel early at boot, before the network starts ('hotpatch.skip' on the kernel command line skips it).",
          "Livepatch packages made by 'hotpatch package' depend on it. Building patches needs the whole hotpatch toolchain, not this package.",
        ],
      },
      entries,
      scripts: { postinst: runtimePostinst(), postrm: runtimePostrm() },
    },
    inputs.outDir,
  );
}
