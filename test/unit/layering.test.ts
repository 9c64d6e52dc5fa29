// SPDX-License-Identifier: GPL-2.0-only
// Dependencies between the source areas (src/<area>/) point one way (DESIGN.md, README):
// cli -> klp, diff, kernel, vm, runtime -> elf. Walked over the real import statements:
// - no two areas depend on each other, directly or through others (e.g. kernel <-> vm);
// - the runtime runs on production servers without a compiler, kernel tree or QEMU: it
//   reaches only util, errors and the ELF layer (which depends on nothing of ours);
// - the differ is a pure library that nothing below the CLI depends on: it reaches only elf,
//   errors and util, never the CLI, a kernel tree, the VM or the livepatch generator.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const srcDir = fileURLToPath(new URL("../../src", import.meta.url));

/** Relative import specifiers of a source file (`import … from`, `export … from`). */
function localImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/from\s+"([^"]+)"/g)]
    .map(([, spec]) => spec ?? "")
    .filter((spec) => spec.startsWith("."));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return entry.endsWith(".ts") ? [path] : [];
  });
}

const areaOf = (file: string): string => relative(srcDir, file).split("/")[0] ?? "";

/** Every file reachable from the files of `area` through imports (the area's own included). */
function reachableFrom(area: string): Set<string> {
  const seen = new Set<string>();
  const pending = sourceFiles(join(srcDir, area));
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of localImports(file)) pending.push(resolve(dirname(file), spec));
  }
  return seen;
}

/** Areas `area` reaches, directly or not, other than itself. */
function areasReached(area: string): Set<string> {
  return new Set([...reachableFrom(area)].map(areaOf).filter((a) => a !== area));
}

test("no two source areas depend on each other, directly or through others", () => {
  const areas = readdirSync(srcDir).filter((e) => statSync(join(srcDir, e)).isDirectory());
  assert.ok(areas.includes("kernel") && areas.includes("vm") && areas.includes("diff"));
  const cycles: string[] = [];
  for (const a of areas) {
    for (const b of areasReached(a)) if (a < b && areasReached(b).has(a)) cycles.push(`${a} <-> ${b}`);
  }
  assert.deepEqual(cycles, []);
});

test("src/runtime imports only util, errors and elf, nothing from kernel, vm, diff or klp", () => {
  const files = sourceFiles(join(srcDir, "runtime"));
  assert.ok(files.length > 5);
  for (const file of files) {
    for (const spec of localImports(file))
      assert.match(spec, /^\.\/|^\.\.\/(util|errors|elf)\//, `${relative(srcDir, file)} imports ${spec}`);
  }
});

test("nothing the runtime pulls in, directly or not, comes from kernel, vm, diff, klp or cli", () => {
  const seen = reachableFrom("runtime");
  assert.deepEqual([...areasReached("runtime")].sort(), ["elf", "errors", "util"]);
  assert.ok(
    [...seen].some((f) => f.includes("/elf/")),
    "the walk reached src/elf",
  );
});

test("the differ is pure: it reaches only elf, errors and util (not the CLI, kernel, VM, klp or runtime)", () => {
  const reached = areasReached("diff");
  for (const area of reached)
    assert.ok(["elf", "errors", "util"].includes(area), `src/diff reaches src/${area}`);
  assert.ok(reached.has("elf"), "the walk reached src/elf");
});

test("src/vm knows nothing of targets: src/kernel boots them through it, never the other way", () => {
  assert.equal(areasReached("vm").has("kernel"), false, "src/vm reaches src/kernel");
  assert.equal(areasReached("kernel").has("vm"), true, "src/kernel boots targets through src/vm");
});
