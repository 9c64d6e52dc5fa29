// SPDX-License-Identifier: GPL-2.0-only
// kallsyms parsing and sympos; Module.symvers parsing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseKallsyms } from "../../../src/kernel/kallsyms.ts";
import { parseSymvers } from "../../../src/kernel/symvers.ts";

const KALLSYMS = [
  "ffffffff81000000 T _text",
  "ffffffff81001000 t helper",
  "ffffffff81001100 T unix_ioctl",
  "ffffffff81002000 t helper",
  "ffffffff81002000 t helper_alias",
  "ffffffff82000000 d __key.0",
  "ffffffffc0001000 t helper\t[sctp]",
  "ffffffffc0002000 t only_here\t[sctp]",
  "ffffffffc0003000 t helper\t[sctp]",
  "ffffffffc0009000 t helper\t[binfmt_misc]",
  "",
].join("\n");

test("kallsyms: entries per object, in file order", () => {
  const k = parseKallsyms(KALLSYMS);
  assert.equal(k.vmlinux.length, 6);
  assert.deepEqual([...k.modules.keys()], ["sctp", "binfmt_misc"]);
  assert.equal(k.named("helper").length, 2);
  assert.equal(k.named("helper", "sctp").length, 2);
  assert.equal(k.namedAnywhere("helper").length, 5);
  assert.equal(k.named("unix_ioctl")[0]?.address, 0xffffffff81001100n);
  assert.equal(k.named("unix_ioctl")[0]?.type, "T");
});

test("kallsyms: sympos is the 1-based position among same-named symbols of one object, 0 if unique", () => {
  const k = parseKallsyms(KALLSYMS);
  const [first, second] = k.named("helper");
  const [unique] = k.named("unix_ioctl");
  assert.ok(first && second && unique);
  assert.equal(k.sympos(first), 1);
  assert.equal(k.sympos(second), 2);
  assert.equal(k.sympos(unique), 0);
  // Module symbols count only within their module.
  const [m1, m2] = k.named("helper", "sctp");
  const [inOtherModule] = k.named("helper", "binfmt_misc");
  assert.ok(m1 && m2 && inOtherModule);
  assert.equal(k.sympos(m1), 1);
  assert.equal(k.sympos(m2), 2);
  assert.equal(k.sympos(inOtherModule), 0);
});

test("kallsyms: lookup by address returns aliases; neighbours come from the same object", () => {
  const k = parseKallsyms(KALLSYMS);
  assert.deepEqual(
    k.vmlinuxAt(0xffffffff81002000n).map((e) => e.name),
    ["helper", "helper_alias"],
  );
  assert.deepEqual(k.vmlinuxAt(0xffffffff81002001n), []);
  const [ioctl] = k.named("unix_ioctl");
  assert.ok(ioctl);
  const neighbours = k.neighbourNames(ioctl, 1);
  assert.deepEqual(neighbours, ["helper", "helper"]);
});

test("kallsyms: 6.12's __pfx_ padding symbols do not count as neighbours", () => {
  const k = parseKallsyms(
    [
      "ffffffff81000ff0 t __pfx_a",
      "ffffffff81001000 t a",
      "ffffffff81001ff0 t __pfx_b",
      "ffffffff81002000 t b",
      "ffffffff81002ff0 t __pfx_c",
      "ffffffff81003000 t c",
    ].join("\n"),
  );
  const [b] = k.named("b");
  assert.ok(b);
  assert.deepEqual(k.neighbourNames(b, 1).sort(), ["a", "c"]);
});

test("kallsyms: a malformed line is an error naming the line", () => {
  assert.throws(() => parseKallsyms("ffffffff81000000 T ok\nnot a line\n"), /line 2/);
});

test("symvers: exported symbols, their exporter and namespace", () => {
  const s = parseSymvers(
    [
      "0x4c9d28b0\tphys_base\tvmlinux\tEXPORT_SYMBOL\t",
      "0x12345678\tsctp_do_peeloff\tnet/sctp/sctp\tEXPORT_SYMBOL_GPL\t",
      "0x0badcafe\tusb_stor_x\tdrivers/usb/storage/usb-storage\tEXPORT_SYMBOL_GPL\tUSB_STORAGE",
    ].join("\n"),
  );
  assert.equal(s.size, 3);
  assert.ok(s.isExported("phys_base"));
  assert.ok(!s.isExported("unix_ioctl"));
  assert.equal(s.exporterObject("phys_base"), "vmlinux");
  assert.equal(s.exporterObject("sctp_do_peeloff"), "sctp");
  assert.equal(s.exporterObject("usb_stor_x"), "usb_storage");
  assert.equal(s.lookup("usb_stor_x")?.namespace, "USB_STORAGE");
  assert.equal(s.lookup("phys_base")?.crc, 0x4c9d28b0);
  assert.throws(() => parseSymvers("garbage line\n"), /line 1/);
});
