// SPDX-License-Identifier: GPL-2.0-only
// The differ on real kernel units of the reference target, before and after the fixes of
// ../shared/corpus: each unit is compiled pristine and fixed by the build front end
// (src/kernel/build-inputs.ts) and diffed; the verdict and the functions must match what the
// corpus says (auto -> patchable with the named function, unsafe-data / unsupported -> refused
// with that kind of reason).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readFixes } from "../../../src/build/fixes.ts";
import { prepareUnits } from "../../../src/build/inputs.ts";
import { type DiffResult, diffObjects } from "../../../src/diff/index.ts";
import { readElf } from "../../../src/elf/index.ts";
import { corpusDir } from "../../helpers/cli.ts";
import { ensureTarget } from "../../helpers/target.ts";

interface Expect {
  fix: string;
  /** object -> expected verdict and, for patchable units, the functions that must be changed */
  units: Record<
    string,
    { verdict: DiffResult["verdict"]; changed?: string[]; refusal?: string; name?: string }
  >;
}

const cases: Expect[] = [
  {
    fix: "01-af_unix-siocatmark-nonstream.patch",
    units: { "net/unix/af_unix.o": { verdict: "patchable", changed: ["unix_ioctl"] } },
  },
  {
    fix: "04-fib-trie-insert-err-kfree-rcu.patch",
    units: { "net/ipv4/fib_trie.o": { verdict: "patchable", changed: ["fib_table_insert"] } },
  },
  // create_entry is static and inlined into bm_register_write: the caller is what changes.
  {
    fix: "12-binfmt-misc-reject-flag-delimiter.patch",
    units: { "fs/binfmt_misc.o": { verdict: "patchable", changed: ["bm_register_write"] } },
  },
  {
    fix: "15-sctp-auth-chunk-list-capacity.patch",
    units: { "net/sctp/auth.o": { verdict: "patchable", changed: ["sctp_auth_ep_add_chunkid"] } },
  },
  // accept_untracked_na is inlined into ndisc_recv_na.
  {
    fix: "20-ndisc-accept-untracked-na-null-idev.patch",
    units: { "net/ipv6/ndisc.o": { verdict: "patchable", changed: ["ndisc_recv_na"] } },
  },
  {
    fix: "24-tcp-reordering-sysctl-bounds.patch",
    units: {
      "net/ipv4/sysctl_net_ipv4.o": { verdict: "refused", refusal: "unsafe-data", name: "ipv4_net_table" },
      "net/ipv4/tcp_output.o": { verdict: "patchable" },
    },
  },
  {
    fix: "25-rsa-pkcs1pad-no-warn-empty-digest.patch",
    units: { "crypto/rsa-pkcs1pad.o": { verdict: "patchable", changed: ["pkcs1pad_verify"] } },
  },
  {
    fix: "27-bdev-no-userspace-mount.patch",
    units: { "block/bdev.o": { verdict: "refused", refusal: "init-code", name: "bdev_cache_init" } },
  },
];

for (const c of cases) {
  test(`corpus ${c.fix}`, async () => {
    const paths = await ensureTarget();
    const inputs = await prepareUnits(paths, readFixes([join(corpusDir, c.fix)]));
    try {
      assert.deepEqual(inputs.refusals, []);
      assert.deepEqual(inputs.units.map((u) => u.object).sort(), Object.keys(c.units).sort());
      for (const unit of inputs.units) {
        const want = c.units[unit.object];
        assert.ok(want);
        const result = diffObjects(
          readElf(readFileSync(unit.pristineObject)),
          readElf(readFileSync(unit.patchedObject)),
          {
            objectKind: unit.klpObject === "vmlinux" ? "vmlinux" : "module",
          },
        );
        assert.equal(result.verdict, want.verdict, `${unit.object}: ${JSON.stringify(result.refused)}`);
        if (want.changed) {
          const changed = result.functions.filter((f) => f.status === "changed").map((f) => f.name);
          assert.deepEqual(changed.sort(), [...want.changed].sort(), unit.object);
        }
        if (want.refusal) {
          const r = result.refused.find((x) => x.kind === want.refusal);
          assert.ok(
            r,
            `${unit.object}: expected a ${want.refusal} refusal, got ${JSON.stringify(result.refused)}`,
          );
          assert.equal(r.name, want.name);
        }
      }
    } finally {
      inputs.cleanup();
    }
  });
}
