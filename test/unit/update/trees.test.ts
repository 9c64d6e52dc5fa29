// SPDX-License-Identifier: GPL-2.0-only
// splitTrees (src/update/trees.ts) end to end on two tiny trees: a header adding a helper, a .c
// using it, an unrelated .c, plus files out of scope. Proves the split into fixes, --paths with
// what it pulls in, the series and patches written and read back as the build's fixes, and the
// sentences for bad --paths.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { readFixes } from "../../../src/build/fixes.ts";
import { ExitCode, UserError } from "../../../src/errors/user-error.ts";
import type { ConfigLookup } from "../../../src/update/scope.ts";
import { listSourceFiles } from "../../../src/update/tree-diff.ts";
import { splitTrees, type TreesRequest } from "../../../src/update/trees.ts";
import { scratchDir } from "../../helpers/scratch.ts";

const base = scratchDir("update-trees");
const oldTree = join(base, "old");
const newTree = join(base, "new");

function writeTree(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

const widgetH = (extra: string) =>
  `#ifndef WIDGET_H\n#define WIDGET_H\nstruct widget {\n\tint a;\n};\n${extra}#endif\n`;
const coreC = (body: string) =>
  `#include <linux/widget.h>\n\nint widget_size(struct widget *w)\n{\n\treturn ${body};\n}\n`;
const miscC = (n: number) =>
  `static int misc_limit = ${n};\n\nint misc_get(void)\n{\n\treturn misc_limit;\n}\n`;

writeTree(oldTree, {
  "include/linux/widget.h": widgetH(""),
  "drivers/widget/core.c": coreC("w->a"),
  "drivers/other/misc.c": miscC(4),
  "drivers/off/off.c": "int off(void) { return 0; }\n",
  "Documentation/widget.rst": "Widgets\n",
  "drivers/same.c": "int same;\n",
});
writeTree(newTree, {
  "include/linux/widget.h": widgetH("static inline int widget_double(int x)\n{\n\treturn 2 * x;\n}\n"),
  "drivers/widget/core.c": coreC("widget_double(w->a)"),
  "drivers/other/misc.c": miscC(8),
  "drivers/off/off.c": "int off(void) { return 1; }\n",
  "Documentation/widget.rst": "Widgets, doubled\n",
  "drivers/same.c": "int same;\n",
  // Build output in the newer tree: never source.
  "drivers/widget/core.o": "ELF",
  "drivers/widget/.core.o.cmd": "cmd_core.o := gcc\n",
});

const lookup: ConfigLookup = {
  unit: (object) => (object === "drivers/off/off.o" ? "n" : "y"),
  directory: () => "y",
};

let runs = 0;
function request(selected?: string[]): TreesRequest {
  runs++;
  return {
    oldTree,
    oldFiles: listSourceFiles(oldTree),
    newTree,
    newFiles: listSourceFiles(newTree),
    lookup,
    selected,
    label: "linux-source-6.1 6.1.187-1",
    title: "update from linux-source-6.1 6.1.176-1 to linux-source-6.1 6.1.187-1",
    seriesDir: join(base, `series-${runs}`),
    workDir: join(base, `work-${runs}`),
  };
}

test("without --paths: the header and its user are one fix, the unrelated file another", async () => {
  const req = request();
  const result = await splitTrees(req);
  assert.deepEqual(
    result.changes.map((c) => `${c.status} ${c.path}`),
    [
      "modified Documentation/widget.rst",
      "modified drivers/off/off.c",
      "modified drivers/other/misc.c",
      "modified drivers/widget/core.c",
      "modified include/linux/widget.h",
    ],
  );
  assert.deepEqual(
    result.scoped.outOfScope.map((c) => `${c.scope} ${c.path}`),
    ["outside-kernel Documentation/widget.rst", "not-built drivers/off/off.c"],
  );
  assert.deepEqual(result.binary, []);
  assert.equal(result.chosen, undefined);
  assert.deepEqual(result.pulledIn, []);
  assert.deepEqual(result.split, [
    { fix: "001-drivers-other-misc.c.patch", files: ["drivers/other/misc.c"] },
    {
      fix: "002-drivers-widget-core.c.patch",
      files: ["drivers/widget/core.c", "include/linux/widget.h"],
    },
  ]);
  assert.equal(result.series, join(req.seriesDir, "series"));
  assert.equal(
    readFileSync(result.series, "utf8"),
    [
      `# ${req.title}`,
      "# one fix per line; drop or reorder, then: hotpatch build <this file>",
      "001-drivers-other-misc.c.patch",
      "002-drivers-widget-core.c.patch",
      "",
    ].join("\n"),
  );
  const second = readFileSync(join(req.seriesDir, "002-drivers-widget-core.c.patch"), "utf8");
  assert.match(
    second,
    /^hotpatch: update from .* to linux-source-6\.1 6\.1\.187-1, fix 2 of 2\n {2}drivers\/widget\/core\.c uses widget_double from include\/linux\/widget\.h\n--- a\/drivers\/widget\/core\.c\n/,
  );
  assert.match(second, /\n\+\treturn widget_double\(w->a\);\n/);
  assert.match(second, /\n--- a\/include\/linux\/widget\.h\n\+\+\+ b\/include\/linux\/widget\.h\n/);
  const first = readFileSync(join(req.seriesDir, "001-drivers-other-misc.c.patch"), "utf8");
  assert.match(first, /^hotpatch: .*, fix 1 of 2\n--- a\/drivers\/other\/misc\.c\n/);
  // The fixes returned are those `hotpatch build DIR/series` reads.
  const summary = (fixes: typeof result.fixes) =>
    fixes.map((f) => ({ name: f.name, touched: f.touched.map((t) => t.path), text: f.text }));
  assert.deepEqual(summary(result.fixes), summary(readFixes([result.series])));
  assert.deepEqual(
    result.fixes.map((f) => [f.name, f.touched.map((t) => t.path)]),
    [
      ["001-drivers-other-misc.c.patch", ["drivers/other/misc.c"]],
      ["002-drivers-widget-core.c.patch", ["drivers/widget/core.c", "include/linux/widget.h"]],
    ],
  );
  assert.equal(result.fixes[1]?.text, second);
});

test("--paths a .c file: it and the header it needs (pulled in) are the one fix", async () => {
  const result = await splitTrees(request(["drivers/widget/core.c"]));
  assert.deepEqual(result.chosen, ["drivers/widget/core.c"]);
  assert.deepEqual(result.pulledIn, [
    { path: "include/linux/widget.h", neededBy: ["drivers/widget/core.c"], names: ["widget_double"] },
  ]);
  assert.deepEqual(result.split, [
    {
      fix: "001-drivers-widget-core.c.patch",
      files: ["drivers/widget/core.c", "include/linux/widget.h"],
    },
  ]);
  assert.deepEqual(
    result.fixes.map((f) => [f.name, f.touched.map((t) => t.path)]),
    [["001-drivers-widget-core.c.patch", ["drivers/widget/core.c", "include/linux/widget.h"]]],
  );
  assert.match(result.fixes[0]?.text ?? "", /^hotpatch: .*, fix 1 of 1\n/);
});

test("--paths a directory (trailing slash) chooses the changed files under it", async () => {
  const result = await splitTrees(request(["drivers/other/"]));
  assert.deepEqual(result.chosen, ["drivers/other/misc.c"]);
  assert.deepEqual(result.pulledIn, []);
  assert.deepEqual(result.split, [
    { fix: "001-drivers-other-misc.c.patch", files: ["drivers/other/misc.c"] },
  ]);
});

test("--paths the header: what uses it is not pulled in", async () => {
  const result = await splitTrees(request(["./include/linux/widget.h"]));
  assert.deepEqual(result.chosen, ["include/linux/widget.h"]);
  assert.deepEqual(result.pulledIn, []);
  assert.deepEqual(result.split, [
    { fix: "001-include-linux-widget.h.patch", files: ["include/linux/widget.h"] },
  ]);
});

async function refusal(selected: string[]): Promise<UserError> {
  try {
    await splitTrees(request(selected));
  } catch (error) {
    assert.ok(error instanceof UserError, String(error));
    return error;
  }
  assert.fail(`--paths ${selected.join(" ")} was accepted`);
}

test("--paths outside the tree, or naming nothing in either tree, is refused with a sentence", async () => {
  const outside = await refusal(["../x"]);
  assert.equal(outside.message, "--paths ../x is not a path inside the kernel tree.");
  assert.equal(outside.exitCode, ExitCode.ERROR);
  const absolute = await refusal(["/etc/passwd"]);
  assert.equal(absolute.message, "--paths /etc/passwd is not a path inside the kernel tree.");
  const nowhere = await refusal(["drivers/nowhere.c"]);
  assert.equal(nowhere.message, "--paths drivers/nowhere.c names no file or directory of either tree.");
  assert.equal(nowhere.exitCode, ExitCode.ERROR);
});

test("--paths with no change under it, or only changes this configuration does not build: no change", async () => {
  const unchanged = await refusal(["drivers/same.c"]);
  assert.equal(
    unchanged.message,
    "No file under --paths drivers/same.c differs between the target's source and linux-source-6.1 6.1.187-1.",
  );
  assert.equal(unchanged.exitCode, ExitCode.NO_CHANGE);
  const notBuilt = await refusal(["drivers/off", "Documentation"]);
  assert.equal(
    notBuilt.message,
    "None of the changed files under --paths drivers/off Documentation is built in this configuration.",
  );
  assert.equal(notBuilt.exitCode, ExitCode.NO_CHANGE);
});

test("--paths . chooses every change of the tree", async () => {
  const whole = await splitTrees(request(["."]));
  const all = await splitTrees(request());
  assert.deepEqual(whole.split.flatMap((s) => s.files).sort(), all.split.flatMap((s) => s.files).sort());
});
