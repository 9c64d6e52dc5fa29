// SPDX-License-Identifier: GPL-2.0-only
// The lab's parts that need no guest: the Ansible inventory as Debian's ansible reads it, a
// guest's kernel command line with its boot loader entry, the initramfs /init as sh parses
// it, and the CLI's refusals before anything starts. Booting guests is tested on the real
// target (test/integration/lab).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { execa } from "execa";
import { exitReason, LabGuest } from "../../../src/lab/guest.ts";
import { labInitScript } from "../../../src/lab/init-script.ts";
import { INVENTORY_GROUP, inventoryText } from "../../../src/lab/inventory.ts";
import { assertUserError, hotpatch } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";

test("ansible-inventory reads the lab's inventory: every guest's port, root, the key and the SSH options", async () => {
  const dir = scratchDir("hp-lab-inventory");
  const key = join(dir, "a dir", "id_ed25519");
  const file = join(dir, "lab.ini");
  writeFileSync(
    file,
    inventoryText({
      target: "debian:6.1.0-50-amd64",
      key,
      hosts: [
        { name: "h1", port: 40001 },
        { name: "h2", port: 40002 },
      ],
    }),
  );
  const r = await execa("ansible-inventory", ["-i", file, "--list"], {
    env: { ANSIBLE_HOME: join(dir, "ansible"), ANSIBLE_LOCAL_TEMP: join(dir, "tmp") },
  });
  const inventory = JSON.parse(r.stdout) as {
    [group: string]: { hosts?: string[] } | { hostvars: Record<string, Record<string, unknown>> };
  };
  assert.deepEqual((inventory[INVENTORY_GROUP] as { hosts: string[] }).hosts, ["h1", "h2"]);
  const vars = (inventory._meta as { hostvars: Record<string, Record<string, unknown>> }).hostvars;
  assert.equal(vars.h2?.ansible_port, 40002);
  assert.equal(vars.h1?.ansible_host, "127.0.0.1");
  assert.equal(vars.h1?.ansible_user, "root");
  assert.equal(vars.h1?.ansible_ssh_private_key_file, key, "a path with a space survives");
  assert.match(
    String(vars.h1?.ansible_ssh_common_args),
    /-o StrictHostKeyChecking=no -o UserKnownHostsFile=\/dev\/null/,
  );
});

test("a guest boots with its name, the lab's key and the words of its boot loader entry", () => {
  const dir = scratchDir("hp-lab-guest");
  const key = { path: join(dir, "id_ed25519"), publicBase64: "AAAAC3NzaC1lZDI1NTE5AAAAIKey+/=" };
  const guest = new LabGuest("h2", 40002, dir, {
    kernel: "/k",
    initrd: "/i",
    image: "/img",
    key,
    append: ["quiet"],
  });
  writeFileSync(guest.cmdlineFile, "hotpatch.skip  # rescue\n\nloglevel=3\n");
  assert.equal(
    guest.cmdline(),
    "console=ttyS0 no_timer_check panic=10 systemd.hostname=h2 hotpatch.lab.key=AAAAC3NzaC1lZDI1NTE5AAAAIKey+/= quiet hotpatch.skip loglevel=3",
  );
  const args = guest.qemuArgs();
  assert.ok(args.includes("reboot=shutdown"), "a guest reboot ends QEMU, so the lab boots it again");
  assert.ok(args.includes("user,id=net0,hostfwd=tcp:127.0.0.1:40002-:22"), "sshd on a loopback port");
  assert.ok(
    args.some((a) => a.startsWith(`file=${join(dir, "h2.qcow2")},`)),
    "its own disk",
  );
  writeFileSync(guest.cmdlineFile, 'init="/bin/sh"\n');
  assert.throws(() => guest.cmdline(), /must be non-empty, without spaces or quotes/);
});

test("the console's last words tell a reboot, a panic (booted again too) and a power-off apart", () => {
  const boot = "[    0.0] Linux version 6.1.0-50-amd64\n";
  assert.equal(exitReason(`${boot}[  9.1] reboot: Restarting system\n`), "reboot");
  assert.equal(exitReason(`${boot}[  9.1] reboot: Power down\n`), "power-off");
  assert.equal(
    exitReason(`${boot}---[ end Kernel panic - not syncing: IO-APIC + timer doesn't work! ]---\n`),
    "panic",
  );
  // A panic of an earlier boot, then a clean power-off: the last words count.
  assert.equal(
    exitReason("Kernel panic - not syncing: x\n reboot: Restarting system\n reboot: Power down\n"),
    "power-off",
  );
  assert.equal(exitReason(boot), "unknown");
});

test("the lab's /init is valid sh, mounts the disk and hands over to systemd", async () => {
  const script = labInitScript(["virtio_blk", "ext4"]);
  const dir = scratchDir("hp-lab-init");
  writeFileSync(join(dir, "init"), script);
  await execa("sh", ["-n", join(dir, "init")]);
  assert.match(script, /insmod \/lib\/modules\/hotpatch\/\$m\.ko/);
  assert.match(script, /mount -t ext4 -o rw \/dev\/vda \/newroot/);
  assert.match(script, /exec switch_root \/newroot \/sbin\/init\n$/);
});

test("hotpatch lab refuses bad options in one sentence before anything starts", async () => {
  const dir = scratchDir("hp-lab-refusals");
  const existing = join(dir, "taken.ini");
  writeFileSync(existing, "");
  assertUserError(
    await hotpatch(["lab", "--hosts", "17"]),
    "--hosts takes a whole number from 1 to 16, not '17'.",
  );
  assertUserError(
    await hotpatch(["lab", "--inventory", existing]),
    `${existing} already exists: give a new path for the lab's inventory (the lab removes it when it stops).`,
  );
  assertUserError(
    await hotpatch(["lab", "--inventory", join(dir, "no-such-dir", "lab.ini")]),
    `The directory of ${join(dir, "no-such-dir", "lab.ini")} does not exist.`,
  );
  assertUserError(
    await hotpatch(["lab", "--append", "a b"]),
    'The kernel command-line word "a b" must be non-empty, without spaces or quotes.',
  );
});
