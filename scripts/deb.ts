// SPDX-License-Identifier: GPL-2.0-only
// `npm run deb`: writes dist/hotpatch_<version>_all.deb, hotpatch's runtime for servers. The
// runtime commands (src/cli/runtime-main.ts) are bundled with esbuild for node 18, Debian 12's
// own nodejs; the build refuses a bundle that reaches the build side (kernel, vm, klp, diff,
// lab, deb). The man page is written from the same program, the copyright file lists every npm
// package compiled into the bundle with its license. Prints the package's path (--json: more).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Metafile } from "esbuild";
import { makeProgram } from "../src/cli/program.ts";
import { RUNTIME_DESCRIPTION, runtimeCommands } from "../src/cli/runtime-commands.ts";
import { packageEpoch } from "../src/deb/build-deb.ts";
import { packageMaintainer } from "../src/deb/maintainer.ts";
import { manPage } from "../src/deb/manpage.ts";
import { type BundledPackage, packageRuntime } from "../src/deb/runtime-package.ts";
import { UserError } from "../src/errors/user-error.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** Folders of src/ the runtime may not reach: it runs on servers without compiler or QEMU. */
const BUILD_SIDE = /^src\/(kernel|vm|klp|diff|lab|deb)\//;
/** Who maintains the package when DEBFULLNAME/DEBEMAIL do not say. */
const PROJECT_MAINTAINER = "hotpatch developers <dev@hotpatch.invalid>";

/** The runtime CLI as one ESM file for node 18, and what went into it. */
async function bundleRuntime(): Promise<{ text: string; metafile: Metafile }> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ["src/cli/runtime-main.ts"],
    bundle: true,
    platform: "node",
    target: "node18",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "warning",
    banner: {
      js: "#!/usr/bin/node\nimport { createRequire as __hpRequire } from 'node:module'; const require = __hpRequire(import.meta.url);",
    },
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error("esbuild wrote nothing");
  return { text: output.text, metafile: result.metafile };
}

function checkRuntimeOnly(metafile: Metafile): void {
  const reached = Object.keys(metafile.inputs).filter((input) => BUILD_SIDE.test(input));
  if (reached.length > 0)
    throw new UserError(`The runtime bundle reaches the build side: ${reached.slice(0, 5).join(", ")}.`);
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** The npm packages whose files esbuild put into the bundle, with their license files. */
function bundledPackages(metafile: Metafile): BundledPackage[] {
  const dirs = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match?.[1]) dirs.add(match[1]);
  }
  return [...dirs].sort().map((dir) => {
    const manifest = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as {
      name: string;
      version: string;
      license?: string;
    };
    const licenseText =
      ["LICENSE", "LICENSE.md", "license", "license.md", "LICENSE.txt"]
        .map((file) => readIfExists(join(root, dir, file)))
        .find((text) => text !== undefined) ?? "";
    if (!licenseText) throw new UserError(`The bundled npm package ${manifest.name} has no LICENSE file.`);
    // "Copyright (c) 2021 Name", "Copyright © Name", "Copyright 2025 Name": not the license's
    // own prose ("the copyright owner") nor Apache's template "Copyright [yyyy] [name ...]".
    const copyright = licenseText
      .split("\n")
      .filter((line) => /^\s*Copyright\s*(\(c\)|©|\d{4})/i.test(line))
      .map((line) => line.trim().replace(/^copyright\s*(\(c\)|©)?\s*/i, ""))
      .join(", ");
    return {
      name: manifest.name,
      version: manifest.version,
      license: manifest.license ?? "UNKNOWN",
      copyright: copyright || `the authors of ${manifest.name}`,
      licenseText,
    };
  });
}

async function main(): Promise<void> {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  const { text, metafile } = await bundleRuntime();
  checkRuntimeOnly(metafile);
  const program = makeProgram(RUNTIME_DESCRIPTION, runtimeCommands);
  const date = new Date(packageEpoch() * 1000).toISOString().slice(0, 10);
  const built = await packageRuntime({
    version: pkg.version,
    maintainer: process.env.DEBEMAIL ? packageMaintainer() : PROJECT_MAINTAINER,
    bundle: text,
    unit: readFileSync(join(root, "packaging", "systemd", "hotpatch.service"), "utf8"),
    manPage: manPage(
      program,
      {
        name: "hotpatch",
        section: 8,
        source: `hotpatch ${pkg.version}`,
        extraSections: [
          {
            title: "Files",
            paragraphs: [
              "/var/lib/hotpatch/<release>/ holds the installed patches that hotpatch.service loads at boot ('hotpatch load --all'); /run/hotpatch holds the lock and what was loaded since boot.",
            ],
          },
          {
            title: "See also",
            paragraphs: ["/usr/share/doc/hotpatch/operating.md, /usr/share/doc/hotpatch/delivery.md"],
          },
        ],
      },
      date,
    ),
    docs: {
      "operating.md": readFileSync(join(root, "docs", "operating.md"), "utf8"),
      "delivery.md": readFileSync(join(root, "docs", "delivery.md"), "utf8"),
    },
    bundled: bundledPackages(metafile),
    outDir: join(root, "dist"),
  });
  if (process.argv.includes("--json")) process.stdout.write(`${JSON.stringify(built, null, 2)}\n`);
  else process.stdout.write(`${built.path}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `deb: ${error instanceof UserError ? error.message : error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
