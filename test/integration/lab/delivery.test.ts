// SPDX-License-Identifier: GPL-2.0-only
// Delivery end to end on one lab of two real Debian 12 guests of debian:6.1.0-50-amd64
// (`hotpatch lab`, started as an operator starts it): hotpatch's runtime package installed with
// apt on Debian's nodejs 18, the bundled af_unix fix as a livepatch package (dpkg -i: the fix is
// active, by its behaviour check), a reboot that loads it again early (before
// network-pre.target), hotpatch.skip, a newer version replacing it in place, a removal the
// kernel refuses and one it allows; then the Ansible rollout over the lab (every host patched,
// a rerun changes nothing, a failing health check stops after the first wave and reverts that
// host), and SIGTERM to the lab removing everything it made.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import type { LabHost, LabInfo } from "../../../src/lab/index.ts";
import { hotpatch, repoRoot } from "../../helpers/cli.ts";
import { processesUsing } from "../../helpers/processes.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { ensureTarget } from "../../helpers/target.ts";
import { compileCheck, SIOCATMARK_CHECK } from "../build/helpers.ts";
import { copyTo, type LabProcess, reboot, rollout, ssh, sshOk, startLab } from "./lab-helpers.ts";

const TARGET = "debian:6.1.0-50-amd64";
const RELEASE = "6.1.0-50-amd64";
const FIX = join(repoRoot, "fixes", "01-af_unix-siocatmark-nonstream.patch");
const MODULE_1 = "hp_01_af_unix_siocatmark_nonstream";
const MODULE_2 = "hp_af_unix_2";
const PACKAGE = `hp-01-af-unix-siocatmark-nonstream-${RELEASE}`;
const MAINTAINER = "hotpatch tests <tests@hotpatch.invalid>";
/** Where the guests get the packages and the behaviour check. */
const DROP = "/root/delivery";
const CHECK = `${DROP}/af_unix-siocatmark`;
const packageVersion = (
  JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }
).version;

interface Debs {
  runtime: string;
  v1: string;
  v2: string;
}

async function hotpatchOk(args: string[]): Promise<string> {
  const r = await hotpatch(args);
  assert.equal(r.exitCode, 0, `hotpatch ${args.join(" ")}:\n${r.stderr}`);
  return r.stdout;
}

/** The runtime package (npm run deb) and versions 1 and 2 of the fix's livepatch package. */
async function buildDebs(out: string): Promise<Debs> {
  const deb = await execa("npm", ["run", "--silent", "deb", "--", "--json"], {
    cwd: repoRoot,
    stdin: "ignore",
  });
  const runtime = (JSON.parse(deb.stdout) as { path: string }).path;
  // Version 2 is the same fix under another module name: a cumulative patch's next version.
  await hotpatchOk(["build", "--target", TARGET, FIX, "-o", join(out, "v1.ko")]);
  await hotpatchOk(["build", "--target", TARGET, FIX, "--name", MODULE_2, "-o", join(out, "v2.ko")]);
  const pkg = async (ko: string, extra: string[]) =>
    (
      JSON.parse(
        await hotpatchOk([
          "package",
          join(out, ko),
          "-o",
          out,
          "--maintainer",
          MAINTAINER,
          "--json",
          ...extra,
        ]),
      ) as { path: string }
    ).path;
  return {
    runtime,
    v1: await pkg("v1.ko", ["--version", "1"]),
    v2: await pkg("v2.ko", ["--version", "2", "--name", PACKAGE]),
  };
}

/** The behaviour check's exit status on a guest: 0 fixed, 1 not fixed. */
async function fixActive(host: LabHost): Promise<boolean> {
  const r = await ssh(host, CHECK);
  assert.ok(
    r.exitCode === 0 || r.exitCode === 1,
    `${host.name}: the check could not run:\n${r.stdout}${r.stderr}`,
  );
  return r.exitCode === 0;
}

interface GuestStatus {
  patches: Array<{ name: string; enabled: boolean; transition: boolean }>;
  installed: Array<{ name: string }>;
}

async function status(host: LabHost): Promise<GuestStatus> {
  return JSON.parse(await sshOk(host, "hotpatch status --json")) as GuestStatus;
}

/** The installed version of a package ("" when it is not installed), whatever its selection. */
async function installedVersion(host: LabHost, pkg: string): Promise<string> {
  const r = await ssh(host, `dpkg-query -W -f='\${db:Status-Status} \${Version}' ${pkg}`);
  return r.exitCode === 0 && r.stdout.startsWith("installed ") ? r.stdout.slice("installed ".length) : "";
}

/** systemd's view of one property of a unit. */
async function unitProperty(host: LabHost, unit: string, property: string): Promise<string> {
  return (await sshOk(host, `systemctl show -P ${property} ${unit}`)).trim();
}

describe("packages, boot and rollout on a lab of the target", () => {
  let labProcess: LabProcess;
  let lab: LabInfo;
  let h1: LabHost;
  let h2: LabHost;
  let debs: Debs;
  const out = scratchDir("hp-delivery");
  const ansibleHome = join(out, "ansible");

  before(async () => {
    await ensureTarget();
    labProcess = startLab(["--target", TARGET, "--hosts", "2", "--inventory", join(out, "lab.ini")]);
    // The packages are built while the guests boot.
    const check = await compileCheck(SIOCATMARK_CHECK, out);
    debs = await buildDebs(out);
    lab = await labProcess.ready;
    [h1, h2] = lab.hosts as [LabHost, LabHost];
    mkdirSync(ansibleHome, { recursive: true });
    await Promise.all(
      [h1, h2].map(async (h) => {
        await sshOk(h, `mkdir -p ${DROP}`);
        await copyTo(lab, h, [debs.runtime, debs.v1, debs.v2, check], DROP);
      }),
    );
  });

  after(async () => {
    if (labProcess && labProcess.child.exitCode === null && labProcess.child.signalCode === null) {
      labProcess.child.kill("SIGTERM");
      await labProcess.exited;
    }
  });

  /** Runs `check` on both guests at once (they are independent machines). */
  const onBoth = (check: (h: LabHost) => Promise<void>) => Promise.all([h1, h2].map(check));

  test("the lab's guests are Debian 12 on the target's kernel, with its linux-image package and nodejs 18", async () => {
    await onBoth(async (h) => {
      const facts = await sshOk(
        h,
        "uname -r; . /etc/os-release; echo $VERSION_ID; node --version; cat /proc/1/comm; hostname",
      );
      const [release, debian, node, init, hostname] = facts.trim().split("\n");
      assert.equal(release, RELEASE);
      assert.equal(debian, "12");
      assert.match(node ?? "", /^v18\./);
      assert.equal(init, "systemd");
      assert.equal(hostname, h.name);
      assert.equal(await installedVersion(h, `linux-image-${RELEASE}`), "6.1.176-1");
    });
  });

  test("apt-get install ./hotpatch_*.deb: the runtime runs on Debian's nodejs and the boot unit is enabled", async () => {
    await onBoth(async (h) => {
      await sshOk(h, `cd ${DROP} && apt-get install -y ./hotpatch_*_all.deb`);
      assert.equal(await sshOk(h, "hotpatch --version"), packageVersion);
      assert.equal(await sshOk(h, "systemctl is-enabled hotpatch.service"), "enabled");
      assert.deepEqual((await status(h)).patches, []);
      assert.equal(await fixActive(h), false, `${h.name}: the unfixed kernel fails the check`);
    });
  });

  test("dpkg -i the livepatch package: the fix is active at once", async () => {
    await onBoth(async (h) => {
      const r = await sshOk(h, `dpkg -i ${DROP}/${PACKAGE}_1_amd64.deb`);
      assert.match(r, new RegExp(`loaded ${MODULE_1} \\(replace mode\\)`));
      assert.equal(await fixActive(h), true, `${h.name}: the fix is active`);
      const s = await status(h);
      assert.deepEqual(
        s.patches.map((p) => [p.name, p.enabled, p.transition]),
        [[MODULE_1, true, false]],
      );
      assert.deepEqual(
        s.installed.map((i) => i.name),
        [MODULE_1],
      );
    });
  });

  // Both guests reboot at once: h1 as it is, h2 with hotpatch.skip in its boot loader entry.
  let h2SkipBoot: Promise<string>;
  let h2Cleared: Promise<string>;
  test("after a reboot the unit loads the patch again, before network-pre.target", async () => {
    writeFileSync(h2.cmdlineFile, "hotpatch.skip\n");
    h2SkipBoot = reboot(h2);
    h2SkipBoot.catch(() => undefined); // awaited by the next test
    await reboot(h1);
    assert.equal(await fixActive(h1), true);
    assert.deepEqual(
      (await status(h1)).patches.map((p) => [p.name, p.enabled]),
      [[MODULE_1, true]],
    );
    assert.equal(await unitProperty(h1, "hotpatch.service", "Result"), "success");
    const finished = Number(await unitProperty(h1, "hotpatch.service", "ExecMainExitTimestampMonotonic"));
    const networkPre = Number(await unitProperty(h1, "network-pre.target", "ActiveEnterTimestampMonotonic"));
    assert.ok(
      finished > 0 && finished <= networkPre,
      `hotpatch.service ended at ${finished}, network-pre at ${networkPre}`,
    );
    assert.match(
      await sshOk(h1, "journalctl -b -u hotpatch.service --no-pager"),
      new RegExp(`loaded\\s+${MODULE_1}`),
    );
  });

  test("hotpatch.skip on the kernel command line skips it for that boot", async () => {
    await h2SkipBoot;
    writeFileSync(h2.cmdlineFile, "");
    assert.match(await sshOk(h2, "cat /proc/cmdline"), /\bhotpatch\.skip\b/);
    assert.equal(await fixActive(h2), false);
    assert.equal(await unitProperty(h2, "hotpatch.service", "ConditionResult"), "no");
    const s = await status(h2);
    assert.deepEqual(s.patches, []);
    assert.deepEqual(
      s.installed.map((i) => i.name),
      [MODULE_1],
      "still installed for the next boot",
    );
    // For the rollout, h2 has neither the patch nor the runtime (removed while h1 goes on).
    h2Cleared = sshOk(h2, `dpkg -r ${PACKAGE} hotpatch`);
    h2Cleared.catch(() => undefined); // awaited by the rollout test
  });

  test("version 2 (another module name) replaces the loaded patch in place", async () => {
    const r = await sshOk(h1, `dpkg -i ${DROP}/${PACKAGE}_2_amd64.deb 2>&1`);
    assert.match(r, new RegExp(`retired by this cumulative patch: ${MODULE_1}`));
    assert.equal(await fixActive(h1), true);
    const s = await status(h1);
    assert.deepEqual(
      s.patches.map((p) => [p.name, p.enabled]),
      [[MODULE_2, true]],
    );
    assert.deepEqual(
      s.installed.map((i) => i.name),
      [MODULE_2],
      "version 1 left the boot store",
    );
    assert.equal(
      (await ssh(h1, `test -d /sys/module/${MODULE_1}`)).exitCode,
      1,
      "version 1's module is gone",
    );
  });

  test("dpkg -r refuses while the kernel cannot let go, then unloads and removes the patch", async () => {
    // A forced transition is what keeps a patch in the kernel for good; hotpatch remembers it here.
    const record = `/run/hotpatch/loaded/${MODULE_2}.json`;
    await sshOk(h1, `sed -i 's/"forced": false/"forced": true/' ${record}`);
    const refused = await ssh(h1, `dpkg -r ${PACKAGE}`);
    assert.notEqual(refused.exitCode, 0);
    assert.match(refused.stderr, /refusing to remove: the kernel cannot let go of livepatch hp_af_unix_2/);
    assert.equal(await installedVersion(h1, PACKAGE), "2");
    assert.equal(await fixActive(h1), true, "the patch stays loaded");
    await sshOk(h1, `sed -i 's/"forced": true/"forced": false/' ${record}`);
    await sshOk(h1, `dpkg -r ${PACKAGE}`);
    assert.equal(await installedVersion(h1, PACKAGE), "");
    assert.equal(await fixActive(h1), false, "the fix is gone");
    const s = await status(h1);
    assert.deepEqual(s.patches, []);
    assert.deepEqual(s.installed, []);
  });

  test("ansible rollout patches every host (installing the runtime where it is missing); a rerun changes nothing", async () => {
    // h1 has the runtime and no patch; h2 has neither.
    await h2Cleared;
    const vars = {
      hotpatch_package: debs.v1,
      hotpatch_runtime_package: debs.runtime,
      hotpatch_check: CHECK,
    };
    const first = await rollout(lab, vars, ansibleHome);
    assert.equal(first.exitCode, 0, first.stdout);
    for (const h of [h1, h2]) {
      assert.equal(first.recap.get(h.name)?.failed, 0);
      assert.ok((first.recap.get(h.name)?.changed ?? 0) > 0);
      assert.equal(await installedVersion(h, PACKAGE), "1");
      assert.equal(await installedVersion(h, "hotpatch"), packageVersion);
      assert.equal(await fixActive(h), true);
    }
    const again = await rollout(lab, vars, ansibleHome);
    assert.equal(again.exitCode, 0, again.stdout);
    for (const h of [h1, h2]) assert.deepEqual(again.recap.get(h.name)?.changed, 0, again.stdout);
  });

  test("a failing health check stops the rollout after the first wave: that host is reverted, the other untouched", async () => {
    const r = await rollout(
      lab,
      { hotpatch_package: debs.v2, hotpatch_runtime_package: debs.runtime, hotpatch_check: "false" },
      ansibleHome,
    );
    assert.notEqual(r.exitCode, 0);
    assert.equal(r.recap.get(h1.name)?.failed, 1, r.stdout);
    assert.equal(r.recap.get(h1.name)?.rescued, 1, "h1 went through the revert");
    assert.equal(r.recap.has(h2.name), false, `h2 was not reached:\n${r.stdout}`);
    assert.match(r.stdout, /the host was reverted to 1 and the rollout stops here/);
    for (const h of [h1, h2]) {
      assert.equal(await installedVersion(h, PACKAGE), "1", `${h.name} has version 1`);
      assert.deepEqual(
        (await status(h)).patches.map((p) => [p.name, p.enabled]),
        [[MODULE_1, true]],
      );
      assert.equal(await fixActive(h), true);
    }
    assert.equal(
      (await ssh(h2, `grep -c ' ${PACKAGE}:amd64 2' /var/log/dpkg.log`)).stdout.trim(),
      "0",
      "version 2 never reached h2",
    );
  });

  test("SIGTERM stops every guest and removes the lab's disks, key and inventory", async () => {
    labProcess.child.kill("SIGTERM");
    const ended = await labProcess.exited;
    assert.equal(ended.signal, "SIGTERM", labProcess.stderr());
    assert.deepEqual(processesUsing(lab.dir), [], "no QEMU of the lab is left");
    assert.equal(existsSync(lab.dir), false);
    assert.equal(existsSync(lab.inventory), false);
  });
});
