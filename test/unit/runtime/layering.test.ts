// SPDX-License-Identifier: GPL-2.0-only
// The runtime runs on production servers without a compiler, kernel tree or QEMU: it may
// import only src/util and src/errors (and npm packages), never the build side.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const runtimeDir = fileURLToPath(new URL("../../../src/runtime", import.meta.url));

test("src/runtime imports nothing from kernel, vm, diff, klp or elf", () => {
  const files = readdirSync(runtimeDir).filter((f) => f.endsWith(".ts"));
  assert.ok(files.length > 5);
  for (const file of files) {
    const text = readFileSync(join(runtimeDir, file), "utf8");
    for (const [, spec] of text.matchAll(/from\s+"([^"]+)"/g)) {
      if (!spec?.startsWith(".")) continue;
      assert.match(spec, /^\.\/|^\.\.\/(util|errors)\//, `${file} imports ${spec}`);
    }
  }
});
