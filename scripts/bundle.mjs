// SPDX-License-Identifier: GPL-2.0-only
// Bundles src/cli/main.ts into dist/hotpatch.mjs: one file, Node 20, no transpiler at run time.
// Written beside and renamed into place so a half-written bundle is never run.
import { renameSync } from "node:fs";
import { build } from "esbuild";

const out = "dist/hotpatch.mjs";
await build({
  entryPoints: ["src/cli/main.ts"],
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  outfile: `${out}.tmp`,
  sourcemap: "inline",
  logLevel: "warning",
  // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __hpRequire } from 'node:module'; const require = __hpRequire(import.meta.url);" },
});
renameSync(`${out}.tmp`, out);
