// SPDX-License-Identifier: GPL-2.0-only
// Reading apt-cache output: stanzas, Depends lists, kernel series; and apt failures explained.
import assert from "node:assert/strict";
import { test } from "node:test";
import { UserError } from "../../../src/errors/user-error.ts";
import {
  dependedNames,
  explainAptFailure,
  findKernelPackages,
  parseStanzas,
  seriesOf,
} from "../../../src/kernel/debian-packages.ts";

const SHOW = `Package: linux-headers-6.1.0-50-amd64
Source: linux
Version: 6.1.176-1
Architecture: amd64
Depends: linux-headers-6.1.0-50-common (= 6.1.176-1), linux-kbuild-6.1 (>= 6.1.176-1), linux-compiler-gcc-12-x86
Description: Header files for Linux 6.1.0-50-amd64
 This package provides the architecture-specific kernel header files
 for Linux kernel 6.1.0-50-amd64.
Filename: pool/main/l/linux/linux-headers-6.1.0-50-amd64_6.1.176-1_amd64.deb
Size: 1688232
SHA256: 91a7929ce639f4199e9ff7f929236cdfdcb5511dba613af5094369e95ca241da

Package: linux-source-6.1
Version: 6.1.176-1
Architecture: all
Filename: pool/main/l/linux/linux-source-6.1_6.1.176-1_all.deb
Size: 139131140
`;

test("apt-cache show output parses into one map per package, continuation lines joined", () => {
  const stanzas = parseStanzas(SHOW);
  assert.equal(stanzas.length, 2);
  assert.equal(stanzas[0]?.get("Version"), "6.1.176-1");
  assert.match(stanzas[0]?.get("Description") ?? "", /\nfor Linux kernel 6\.1\.0-50-amd64\.$/);
  assert.equal(stanzas[1]?.get("Size"), "139131140");
});

test("Depends names drop versions and alternatives", () => {
  assert.deepEqual(dependedNames(parseStanzas(SHOW)[0]?.get("Depends") ?? ""), [
    "linux-headers-6.1.0-50-common",
    "linux-kbuild-6.1",
    "linux-compiler-gcc-12-x86",
  ]);
  assert.deepEqual(dependedNames("a | b (>= 1), c"), ["a", "c"]);
});

test("the kernel series comes from the Debian version", () => {
  assert.equal(seriesOf("6.1.176-1"), "6.1");
  assert.equal(seriesOf("1:6.12.9-1"), "6.12");
  assert.throws(() => seriesOf("garbage"));
});

test("an apt failure that shows a network problem becomes a sentence about the network", () => {
  const failure = new UserError("apt-get download failed with exit code 100.", [
    "Err:1 http://deb.debian.org/debian bookworm/main amd64 linux-source-6.1 all 6.1.176-1",
    "  Temporary failure resolving 'deb.debian.org'",
  ]);
  const explained = explainAptFailure(failure, "apt-get download");
  assert.ok(explained instanceof UserError);
  assert.match(explained.message, /could not reach the Debian archive: check the network connection/);
  const other = new UserError("apt-get download failed with exit code 100.", ["E: something else"]);
  assert.equal(explainAptFailure(other, "apt-get download"), other);
});

test("the -rt flavour is refused before asking apt: linux-source lacks its patch set", async () => {
  await assert.rejects(
    findKernelPackages("6.1.0-50-rt-amd64", "/dev/null"),
    (e: unknown) => e instanceof UserError && /lacks the PREEMPT_RT patch set/.test(e.message),
  );
});
