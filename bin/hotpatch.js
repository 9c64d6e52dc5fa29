#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-only
// Entry point: runs the single-file bundle made by `npm run build` (scripts/bundle.mjs).
// The bundle, not TypeScript, is what runs inside the VM guest: no transpiling under emulation.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const bundle = fileURLToPath(new URL("../dist/hotpatch.mjs", import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write("hotpatch: the bundle is missing; run `npm run build` in the checkout.\n");
  process.exit(1);
}
await import(bundle);
