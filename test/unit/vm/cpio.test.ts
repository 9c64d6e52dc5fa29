// SPDX-License-Identifier: GPL-2.0-only
// The newc writer: GNU cpio (an independent reader) lists and extracts what was written.
import assert from "node:assert/strict";
import { readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { execa } from "execa";
import { buildCpio } from "../../../src/vm/cpio.ts";
import { scratchDir } from "../../helpers/scratch.ts";

const archive = buildCpio([
  { kind: "dir", path: "bin" },
  { kind: "file", path: "bin/tool", data: Buffer.from("#!/bin/sh\necho hi\n"), mode: 0o755 },
  { kind: "symlink", path: "bin/sh", target: "tool" },
  { kind: "file", path: "odd-size", data: Buffer.from("12345") },
  { kind: "file", path: "empty", data: new Uint8Array() },
]);

test("cpio lists every entry, in order", async () => {
  const result = await execa("cpio", ["-t", "--quiet"], { input: Buffer.from(archive) });
  assert.deepEqual(result.stdout.split("\n"), ["bin", "bin/tool", "bin/sh", "odd-size", "empty"]);
});

test("cpio extracts the same contents, modes and link targets", async () => {
  const dir = scratchDir("hotpatch-cpio");
  try {
    const file = join(dir, "a.cpio");
    writeFileSync(file, archive);
    await execa("sh", ["-c", 'cd "$1" && cpio -i --quiet -d < "$2"', "sh", dir, file]);
    assert.equal(readFileSync(join(dir, "bin/tool"), "utf8"), "#!/bin/sh\necho hi\n");
    assert.equal(statSync(join(dir, "bin/tool")).mode & 0o777, 0o755);
    assert.equal(readlinkSync(join(dir, "bin/sh")), "tool");
    assert.equal(readFileSync(join(dir, "odd-size"), "utf8"), "12345");
    assert.equal(readFileSync(join(dir, "empty")).length, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the archive is 4-byte aligned and byte-for-byte reproducible", () => {
  assert.equal(archive.length % 4, 0);
  const again = buildCpio([{ kind: "file", path: "x", data: Buffer.from("y") }]);
  assert.deepEqual(again, buildCpio([{ kind: "file", path: "x", data: Buffer.from("y") }]));
});
