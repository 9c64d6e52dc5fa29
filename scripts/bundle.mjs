// SPDX-License-Identifier: GPL-2.0-only
// Bundles src/cli/main.ts into dist/hotpatch.mjs: one file, Node 20, no transpiler at run time.
// Written into a scratch folder and renamed into place so a half-written bundle is never run.
import { mkdirSync, renameSync, rmSync } from "node:fs";
import { build } from "esbuild";

const scratch = `dist/.partial-${process.pid}`;
mkdirSync(scratch, { recursive: true });
try {
  await build({
    entryPoints: ["src/cli/main.ts"],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    outfile: `${scratch}/hotpatch.mjs`,
    // An external map: an inline one costs ~0.6 s of parsing at every start (e.g. in the VM).
    sourcemap: "linked",
    logLevel: "warning",
    // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
    banner: {
      js: "import { createRequire as __hpRequire } from 'node:module'; const require = __hpRequire(import.meta.url);",
    },
  });
  renameSync(`${scratch}/hotpatch.mjs.map`, "dist/hotpatch.mjs.map");
  renameSync(`${scratch}/hotpatch.mjs`, "dist/hotpatch.mjs");
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
