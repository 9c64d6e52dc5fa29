// SPDX-License-Identifier: GPL-2.0-only
// The QEMU command line (the one DESIGN.md verified: TCG, -cpu max, 1 GiB, 2 CPUs, no reboot,
// the host's root over 9p read-only) and how QEMU is started so it cannot outlive hotpatch.
import { existsSync } from "node:fs";
import { UserError } from "../errors/user-error.ts";
import { OUTPUT_PORT_NAME } from "./init-script.ts";
import type { Accel } from "./types.ts";

export interface QemuLaunch {
  vmlinuz: string;
  initrd: string;
  accel: Accel;
  /** Host directory shared read-only as tag `hprun` (the run's command, modules, nonce). */
  runDir: string;
  /** Unix socket QEMU connects to for the virtio-serial port carrying the command's output. */
  outputSocket: string;
  writableDir?: string;
  extraCmdline?: readonly string[];
  /** Virtual CPUs (default 2). */
  cpus?: number;
  /** False for a minimal guest (a kernel without 9p): no host shares at all. Default true. */
  hostRoot?: boolean;
}

/** Refuses a kernel command-line word the guest could not receive as one word. */
export function checkCmdlineWords(words: readonly string[]): void {
  for (const word of words) {
    if (!word || /[\s"]/.test(word)) {
      throw new UserError(
        `The kernel command-line word ${JSON.stringify(word)} must be non-empty, without spaces or quotes.`,
      );
    }
  }
}

/** Kernel command line: console on ttyS0, and any panic (oopses included) ends the VM at once. */
export function kernelCmdline(extra: readonly string[] = []): string {
  checkCmdlineWords(extra);
  return ["console=ttyS0", "panic=-1", "oops=panic", ...extra].join(" ");
}

/** QEMU splits option values at commas; a literal comma is written twice. */
export function qemuValue(text: string): string {
  return text.replaceAll(",", ",,");
}

function virtfs(path: string, tag: string, readonly: boolean): string[] {
  const ro = readonly ? ",readonly=on" : "";
  return [
    "-virtfs",
    `local,path=${qemuValue(path)},mount_tag=${tag},security_model=none${ro},multidevs=remap`,
  ];
}

export function qemuArgs(launch: QemuLaunch): string[] {
  const args = [
    "-accel",
    launch.accel,
    "-cpu",
    "max",
    "-m",
    "1024",
    "-smp",
    String(launch.cpus ?? 2),
    "-nographic",
    "-no-reboot",
    "-nic",
    "none",
    "-kernel",
    launch.vmlinuz,
    "-initrd",
    launch.initrd,
    "-append",
    kernelCmdline(launch.extraCmdline),
    ...(launch.hostRoot === false
      ? []
      : [...virtfs("/", "hostroot", true), ...virtfs(launch.runDir, "hprun", true)]),
    // The kernel console: ttyS0 on QEMU's stdout (with the monitor, as -nographic does alone).
    "-serial",
    "mon:stdio",
    // The command's output: a virtio-serial port (not a tty, so bytes pass unchanged, and ~100
    // times faster than a second UART) on a socket hotpatch listens on.
    "-device",
    "virtio-serial-pci,id=hpserial",
    "-chardev",
    `socket,id=hpout,path=${qemuValue(launch.outputSocket)}`,
    "-device",
    `virtserialport,bus=hpserial.0,chardev=hpout,name=${OUTPUT_PORT_NAME}`,
  ];
  if (launch.writableDir) args.push(...virtfs(launch.writableDir, "hostrw", false));
  return args;
}

/** The QEMU binary; HOTPATCH_QEMU replaces it (tests use a stand-in to exercise the harness). */
export function qemuBinary(): string {
  return process.env.HOTPATCH_QEMU || "qemu-system-x86_64";
}

const SETPRIV = "/usr/bin/setpriv";

/**
 * The argv that starts QEMU. Under setpriv's parent-death signal, QEMU is killed by the kernel
 * even when hotpatch itself is SIGKILLed and cannot clean up.
 */
export function launchArgv(binary: string, args: readonly string[]): [string, string[]] {
  // HOTPATCH_VM_NO_PDEATHSIG=1 leaves only the signal handlers (src/util/reaper.ts) on guard: for tests.
  if (existsSync(SETPRIV) && process.env.HOTPATCH_VM_NO_PDEATHSIG !== "1")
    return [SETPRIV, ["--pdeathsig", "KILL", "--", binary, ...args]];
  return [binary, [...args]];
}
