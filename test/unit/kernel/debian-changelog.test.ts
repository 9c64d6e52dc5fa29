// SPDX-License-Identifier: GPL-2.0-only
// The Debian changelog of a kernel source package: its entries (version, date, upstream
// subjects and Debian changes with their CVE ids) and dpkg's order of versions, which decides
// the entries an update between two versions lists.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compareDebianVersions,
  entriesBetween,
  parseChangelog,
} from "../../../src/kernel/debian-changelog.ts";

// Shaped like linux-source-6.1's changelog.Debian (subjects invented for the test).
const CHANGELOG = `linux (6.1.187-1) bookworm-security; urgency=high

  * New upstream stable update:
    https://www.kernel.org/pub/linux/kernel/v6.x/ChangeLog-6.1.181
    - [x86] bugs: Make a thing robust against interrupt injection
    https://www.kernel.org/pub/linux/kernel/v6.x/ChangeLog-6.1.183
    - af_unix: Set a flag to true in the collector. (CVE-2026-00001)
    - can: bcm: add locking when updating filter and timer values
      (CVE-2026-00002)

  [ A Maintainer ]
  * net/bluetooth: Do not set BT_HS (removed upstream)

 -- A Maintainer <someone@debian.org>  Mon, 07 Sep 2026 21:33:42 +0200

linux (6.1.180-1) bookworm-security; urgency=high

  * New upstream stable update:
    https://www.kernel.org/pub/linux/kernel/v6.x/ChangeLog-6.1.180
    - posix-cpu-timers: Prevent a race (CVE-2026-00003, CVE-2026-00004)

 -- A Maintainer <someone@debian.org>  Mon, 03 Aug 2026 20:40:40 +0200

linux (6.1.176-1) bookworm-security; urgency=high

  * New upstream stable update:
    - an older change (CVE-2026-00005)

 -- A Maintainer <someone@debian.org>  Thu, 02 Jul 2026 13:50:00 +0200
`;

test("entries: version, date, upstream subjects joined across lines, Debian changes, CVE ids", () => {
  const entries = parseChangelog(CHANGELOG);
  assert.deepEqual(
    entries.map((e) => [e.version, e.distribution, e.date]),
    [
      ["6.1.187-1", "bookworm-security", "Mon, 07 Sep 2026 21:33:42 +0200"],
      ["6.1.180-1", "bookworm-security", "Mon, 03 Aug 2026 20:40:40 +0200"],
      ["6.1.176-1", "bookworm-security", "Thu, 02 Jul 2026 13:50:00 +0200"],
    ],
  );
  assert.deepEqual(entries[0]?.items, [
    {
      text: "[x86] bugs: Make a thing robust against interrupt injection",
      cves: [],
      upstream: true,
    },
    {
      text: "af_unix: Set a flag to true in the collector. (CVE-2026-00001)",
      cves: ["CVE-2026-00001"],
      upstream: true,
    },
    {
      text: "can: bcm: add locking when updating filter and timer values (CVE-2026-00002)",
      cves: ["CVE-2026-00002"],
      upstream: true,
    },
    { text: "net/bluetooth: Do not set BT_HS (removed upstream)", cves: [], upstream: false },
  ]);
  assert.deepEqual(entries[1]?.items[0]?.cves, ["CVE-2026-00003", "CVE-2026-00004"]);
});

test("the entries an update lists: newer than the running version, up to the new one", () => {
  const entries = parseChangelog(CHANGELOG);
  const versions = (from: string, to: string) => entriesBetween(entries, from, to).map((e) => e.version);
  assert.deepEqual(versions("6.1.176-1", "6.1.187-1"), ["6.1.187-1", "6.1.180-1"]);
  assert.deepEqual(versions("6.1.176-1", "6.1.180-1"), ["6.1.180-1"]);
  assert.deepEqual(versions("6.1.187-1", "6.1.187-1"), []);
});

test("versions are ordered as dpkg orders them", () => {
  const ordered = [
    "6.1.9-1",
    "6.1.76-1",
    "6.1.176-1",
    "6.1.187-1~bpo12+1",
    "6.1.187-1",
    "6.1.187-1+deb12u1",
    "6.1.187-2",
    "6.12.107-1~deb12u1",
    "1:5.10.1-1",
  ];
  for (const [i, a] of ordered.entries()) {
    assert.equal(compareDebianVersions(a, a), 0, a);
    for (const b of ordered.slice(i + 1)) {
      assert.ok(compareDebianVersions(a, b) < 0, `${a} < ${b}`);
      assert.ok(compareDebianVersions(b, a) > 0, `${b} > ${a}`);
    }
  }
});
