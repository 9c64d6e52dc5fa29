// SPDX-License-Identifier: GPL-2.0-only
// The runtime runs on production servers without a compiler, kernel tree or QEMU: it may
// import src/util, src/errors and the ELF layer src/elf (which depends on nothing of ours),
// and npm packages, never the build side (kernel, vm, diff, klp). See DESIGN.md.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const srcDir = fileURLToPath(new URL("../../../src", import.meta.url));
const runtimeDir = join(srcDir, "runtime");

/** Relative import specifiers of a source file. */
function localImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/from\s+"([^"]+)"/g)]
    .map(([, spec]) => spec ?? "")
    .filter((spec) => spec.startsWith("."));
}

test("src/runtime imports only util, errors and elf, nothing from kernel, vm, diff or klp", () => {
  const files = readdirSync(runtimeDir).filter((f) => f.endsWith(".ts"));
  assert.ok(files.length > 5);
  for (const file of files) {
    for (const spec of localImports(join(runtimeDir, file)))
      assert.match(spec, /^\.\/|^\.\.\/(util|errors|elf)\//, `${file} imports ${spec}`);
  }
});

test("nothing the runtime pulls in, directly or not, comes from kernel, vm, diff, klp or cli", () => {
  const seen = new Set<string>();
  const pending = readdirSync(runtimeDir)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(runtimeDir, f));
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const area = relative(srcDir, file).split("/")[0];
    assert.ok(
      !["kernel", "vm", "diff", "klp", "cli", "commands"].includes(area ?? ""),
      `the runtime reaches ${relative(srcDir, file)}`,
    );
    for (const spec of localImports(file)) pending.push(resolve(dirname(file), spec));
  }
  assert.ok(
    [...seen].some((f) => f.includes("/elf/")),
    "the walk reached src/elf",
  );
});
