// SPDX-License-Identifier: GPL-2.0-only
// The differ on kpatch's 55 x86_64 unit-test object pairs (../shared/peer/kpatch-unit-objs):
// the same exit category as kpatch's create-diff-object on every pair, and the same set of
// changed + new functions (kpatch prints correlated functions under their ORIGINAL name, so
// the comparison uses origName when set). Deliberate differences are listed in `differs`.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { type DiffResult, diffObjects, entrySizesFromEnv } from "../../../src/diff/index.ts";
import { readElf } from "../../../src/elf/index.ts";
import { peerDir, peerSkip } from "../../helpers/cli.ts";

const root = peerDir;
const dir = join(root, "x86_64");

/** Cases where hotpatch reports a different function set, and why hotpatch is right. */
const differs: Record<string, { extra?: string[]; missing?: string[]; why: string }> = {
  "data-read-mostly": {
    extra: ["dev_queue_xmit_nit"],
    why:
      "the patched object has three more __jump_table entries at dev_queue_xmit_nit+0x132 (keys in .data..read_mostly): " +
      "its jump labels changed. kpatch never compares special-section entries, so it misses that; hotpatch carries the " +
      "function with its new entries, which is the safe side",
  },
};

interface Row {
  name: string;
  patchedFile: string;
  exit: number;
  functions: string[];
}

function rows(): Row[] {
  if (peerSkip) return [];
  const lines = readFileSync(join(root, "expected.tsv"), "utf8").trim().split("\n").slice(1);
  return lines.map((line) => {
    const [name, patchedFile, exit, changed, added] = line.split("\t") as [
      string,
      string,
      string,
      string,
      string,
    ];
    const functions = [...changed.split(","), ...added.split(",")].filter((f) => f !== "");
    return { name, patchedFile, exit: Number(exit), functions };
  });
}

function envOf(name: string): Record<string, string> {
  const file = join(dir, `${name}.env`);
  if (!existsSync(file)) return {};
  return Object.fromEntries(
    readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => l.split("=", 2) as [string, string]),
  );
}

function exitCategory(result: DiffResult): number {
  return result.verdict === "refused" ? 2 : result.verdict === "no-change" ? 3 : 0;
}

function reportedFunctions(result: DiffResult): string[] {
  return result.functions
    .filter((f) => f.status === "changed" || f.status === "new")
    .map((f) => f.origName ?? f.name)
    .filter((n) => !n.includes(".cold") && !n.startsWith("__pfx_"));
}

test("the peer corpus is present (55 pairs)", { skip: peerSkip }, () => {
  assert.equal(rows().length, 55);
  assert.equal(readdirSync(dir).filter((f) => f.endsWith(".ORIG.o")).length, 55);
});

for (const row of rows()) {
  test(`peer ${row.name}: exit ${row.exit}, ${row.functions.join(",") || "no functions"}`, {
    skip: peerSkip,
  }, () => {
    const orig = readElf(readFileSync(join(dir, `${row.name}.ORIG.o`)));
    const patched = readElf(readFileSync(join(dir, row.patchedFile)));
    const result = diffObjects(orig, patched, { entrySizes: entrySizesFromEnv(envOf(row.name)) });
    assert.equal(
      exitCategory(result),
      row.exit,
      `verdict ${result.verdict}; refused: ${JSON.stringify(result.refused)}`,
    );
    if (row.exit === 2) {
      assert.ok(result.refused.length > 0);
      for (const r of result.refused) assert.ok(r.name && r.reason, "a refusal names a symbol and a reason");
    }
    if (row.exit !== 0) return;
    const allowed = differs[row.name];
    const expected = new Set(row.functions);
    for (const f of allowed?.missing ?? []) expected.delete(f);
    for (const f of allowed?.extra ?? []) expected.add(f);
    assert.deepEqual(new Set(reportedFunctions(result)), expected);
  });
}

test("every peer object diffed against itself: no change, nothing refused, nothing ignored", {
  skip: peerSkip,
}, () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".o"))) {
    const obj = readElf(readFileSync(join(dir, file)));
    const result = diffObjects(obj, obj);
    assert.equal(result.verdict, "no-change", `${file}: ${JSON.stringify(result.refused)}`);
    assert.deepEqual(result.ignored, [], file);
  }
});
