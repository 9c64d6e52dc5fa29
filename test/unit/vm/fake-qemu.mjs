#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-only
// A stand-in for qemu-system-x86_64 (selected with HOTPATCH_QEMU) that plays a guest without
// booting one, so the harness's plumbing (channels, marks, timeouts, kills, signals) is tested
// in milliseconds. FAKE_QEMU_MODE picks the script; FAKE_QEMU_PIDFILE receives its pid.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";

const args = process.argv.slice(2);
const values = (flag) => args.flatMap((arg, i) => (args[i - 1] === flag ? [arg] : []));
const pathIn = (option) => /(?:^|,)path=((?:[^,]|,,)*)/.exec(option)[1].replaceAll(",,", ",");

const socketPath = pathIn(values("-chardev")[0]);
const share = values("-virtfs").find((v) => v.includes("mount_tag=hprun"));
const runDir = share ? pathIn(share) : undefined;
// A minimal guest (no 9p) gets its nonce in an archive appended to the initramfs.
const nonce = runDir ? readFileSync(`${runDir}/nonce`, "utf8").trim() : nonceInInitrd(values("-initrd")[0]);
if (process.env.FAKE_QEMU_PIDFILE) {
  if (runDir) writeFileSync(`${process.env.FAKE_QEMU_PIDFILE}.rundir`, runDir);
  if (!runDir) writeFileSync(`${process.env.FAKE_QEMU_PIDFILE}.minimal`, values("-initrd")[0]);
  writeFileSync(process.env.FAKE_QEMU_PIDFILE, String(process.pid));
  appendFileSync(`${process.env.FAKE_QEMU_PIDFILE}.starts`, "started\n"); // one line per boot
}

/** The nonce in the run archive of a minimal guest: newc's `hprun/nonce` entry's data. */
function nonceInInitrd(initrd) {
  const text = readFileSync(initrd).toString("latin1");
  const at = text.lastIndexOf("hprun/nonce\0");
  return /[0-9a-f]{24}/.exec(text.slice(at))[0];
}

const mark = (kind, value) => `\x1eHP-${nonce}:${kind}:${value}\n`;
const channel = connect(socketPath);
const forever = () => setInterval(() => {}, 1 << 30);
process.stdout.write("[    0.000000] Linux version 0.0.0-fake\r\n");

switch (process.env.FAKE_QEMU_MODE) {
  case "exit":
    channel.write(`${mark("ready", 0)}hello from the guest\n${mark("exit", process.env.FAKE_EXIT ?? "7")}`);
    forever(); // like the real guest, wait to be killed
    break;
  case "panic":
    channel.write(mark("ready", 0));
    process.stdout.write(
      "[    4.100000] sysrq: Trigger a crash\r\n[    4.200000] Kernel panic - not syncing: sysrq triggered crash\r\n",
    );
    setTimeout(() => process.exit(0), 50); // -no-reboot: QEMU ends when the guest resets
    break;
  case "insmod":
    channel.write(
      `${mark("ready", 0)}insmod: can't insert 'x.ko': invalid module format\n${mark("insmod-failed", 1)}`,
    );
    forever();
    break;
  case "stall": // the kernel stops before /init: no ready mark, ever
    forever();
    break;
  case "stall-once": // the first boot stalls, the next one runs the command
    if (!existsSync(process.env.FAKE_QEMU_STATE)) {
      writeFileSync(process.env.FAKE_QEMU_STATE, "stalled once");
      forever();
    } else {
      channel.write(`${mark("ready", 0)}booted the second time\n${mark("exit", "0")}`);
      forever();
    }
    break;
  case "oops-once": // the first boot oopses before /init (a TCG race seen on 6.12), the next one runs
    if (!existsSync(process.env.FAKE_QEMU_STATE)) {
      writeFileSync(process.env.FAKE_QEMU_STATE, "oopsed once");
      process.stdout.write("[    3.578823] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI\r\n");
      process.stdout.write("[    3.581744] Kernel panic - not syncing: Fatal exception in interrupt\r\n");
      setTimeout(() => process.exit(0), 50);
    } else {
      channel.write(`${mark("ready", 0)}booted the second time\n${mark("exit", "0")}`);
      forever();
    }
    break;
  case "quit":
    process.stderr.write("qemu-system-x86_64: -accel kvm: failed to initialize kvm: No such device\n");
    process.exit(1);
    break;
  default: // "hang"
    channel.write(`${mark("ready", 0)}still running\n`);
    forever();
}
