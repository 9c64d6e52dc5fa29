// SPDX-License-Identifier: GPL-2.0-only
// Pre-load checks on module files: modinfo parsing, release and livepatch refusals, and the
// replace-mode reading of the klp_patch struct.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { UserError } from "../../../src/errors/user-error.ts";
import {
  checkLoadable,
  checkNotUnsafe,
  parseModinfo,
  readModuleFile,
} from "../../../src/runtime/module-file.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { fakeKo, RELEASE, VERMAGIC } from "./fake-ko.ts";

test("parseModinfo splits NUL-separated key=value entries, keeping repeated keys", () => {
  const info = parseModinfo(new TextEncoder().encode("license=GPL\0alias=a\0alias=b\0\0junk\0livepatch=Y\0"));
  assert.deepEqual(info, { license: ["GPL"], alias: ["a", "b"], livepatch: ["Y"] });
});

test("a livepatch module's name, release and replace mode are read from the file", () => {
  const ko = fakeKo("lp", { modinfo: [VERMAGIC, "livepatch=Y", "name=my_patch"], replace: true });
  const module = readModuleFile(ko);
  assert.equal(module.name, "my_patch");
  assert.equal(module.release, RELEASE);
  assert.equal(module.livepatch, true);
  assert.equal(module.replace, "replace");
  checkLoadable(module, RELEASE);
});

test("replace=false reads as stack mode; no klp_patch at all reads as unknown", () => {
  assert.equal(
    readModuleFile(fakeKo("lp2", { modinfo: [VERMAGIC, "livepatch=Y"], replace: false })).replace,
    "stack",
  );
  assert.equal(readModuleFile(fakeKo("lp3", { modinfo: [VERMAGIC, "livepatch=Y"] })).replace, "unknown");
});

test("an explicit hotpatch_replace modinfo entry wins over the struct", () => {
  const ko = fakeKo("lp4", { modinfo: [VERMAGIC, "livepatch=Y", "hotpatch_replace=N"], replace: true });
  assert.equal(readModuleFile(ko).replace, "stack");
});

test("without name= the module name comes from the file name, dashes as underscores", () => {
  const ko = fakeKo("my-fix", { modinfo: [VERMAGIC, "livepatch=Y"] });
  assert.equal(readModuleFile(ko).name, "my_fix");
});

test("a module for another kernel release is refused in one sentence naming both releases", () => {
  const module = readModuleFile(
    fakeKo("other", { modinfo: ["vermagic=6.1.0-99-amd64 SMP preempt ", "livepatch=Y"] }),
  );
  assert.throws(
    () => checkLoadable(module, RELEASE),
    (e: unknown) =>
      e instanceof UserError &&
      /built for kernel 6\.1\.0-99-amd64, but this system runs 6\.1\.0-50-amd64/.test(e.message),
  );
});

test("a module built despite refusals (hotpatch_unsafe) loads only when the test-only switch covers its kinds", () => {
  const module = readModuleFile(
    fakeKo("unsafe", { modinfo: [VERMAGIC, "livepatch=Y", "hotpatch_unsafe=unsafe-data,no-fentry"] }),
  );
  const refused =
    /was built despite refusals \(unsafe-data, no-fentry\) with the test-only HOTPATCH_TEST_BUILD_REFUSED: it is unsafe by construction and is not loaded/;
  assert.throws(() => checkNotUnsafe(module, {}), refused);
  assert.throws(() => checkNotUnsafe(module, { HOTPATCH_TEST_BUILD_REFUSED: "unsafe-data" }), refused);
  checkNotUnsafe(module, { HOTPATCH_TEST_BUILD_REFUSED: "no-fentry, unsafe-data" }); // allowed, with a warning
  // checkLoadable applies it with the process's environment.
  assert.throws(() => checkLoadable(module, RELEASE), refused);
  // A module without the marker is not affected.
  checkNotUnsafe(readModuleFile(fakeKo("safe", { modinfo: [VERMAGIC, "livepatch=Y"] })), {});
});

test("a module without livepatch=Y is refused as not a livepatch", () => {
  const module = readModuleFile(fakeKo("plain", { modinfo: [VERMAGIC, "license=GPL"] }));
  assert.throws(() => checkLoadable(module, RELEASE), /is not a livepatch module/);
});

test("files that are not modules get a clear error, not a crash", () => {
  const junk = join(scratchDir("junk"), "junk.ko");
  writeFileSync(
    junk,
    "not an elf file at all, just text that is long enough to look at ....................",
  );
  assert.throws(
    () => readModuleFile(junk),
    (e: unknown) => e instanceof UserError && /not a valid kernel module/.test(e.message),
  );
  assert.throws(
    () => readModuleFile("/nonexistent/x.ko"),
    (e: unknown) => e instanceof UserError && e.message === "/nonexistent/x.ko does not exist.",
  );
  const noModinfo = fakeKo("nomodinfo", { modinfo: [] });
  assert.throws(() => checkLoadable(readModuleFile(noModinfo), RELEASE), /has no vermagic/);
});

test("truncated module files are rejected with an error", () => {
  const ko = fakeKo("trunc", { modinfo: [VERMAGIC, "livepatch=Y"] });
  const bytes = readFileSync(ko);
  for (const cut of [10, 70, Math.floor(bytes.length / 2), bytes.length - 10]) {
    const path = `${ko}.${cut}`;
    writeFileSync(path, bytes.subarray(0, cut));
    assert.throws(() => readModuleFile(path), UserError, `cut at ${cut}`);
  }
});
