// SPDX-License-Identifier: GPL-2.0-only
// The VM's public types (the interface agreed in the team brief): what to boot and run, and
// what comes back.

export interface VmOptions {
  /** The target's compressed kernel (boot/vmlinuz-<release>). */
  vmlinuz: string;
  /** The target's lib/modules/<release>: its virtio/9p/overlay modules go into the initramfs. */
  modulesDir: string;
  /** The kernel release, e.g. 6.1.0-50-amd64 (keys the initramfs cache). */
  release: string;
  /** The command and its arguments, run as root in the guest (an argv array, never a shell string). */
  command: string[];
  /** Host paths of .ko files loaded (insmod) before the command, in this order. */
  modules?: string[];
  /** Seconds until the VM is killed and a UserError is thrown; default 300. */
  timeoutSec?: number;
  /**
   * Seconds the guest has to reach /init; a boot that stalls longer is killed and booted once
   * more (a second stall is a UserError). Default 60; a TCG boot takes 2–5 s.
   */
  bootDeadlineSec?: number;
  /** Extra kernel command-line words, e.g. ["nokaslr"]. */
  extraCmdline?: string[];
  /** A host directory mounted read-write at the same path in the guest. */
  writableDir?: string;
  /** The command runs the host's programs or reads its files (bash, node, a module path): such
   * a run is refused on a kernel without 9p, whose guest runs busybox only. */
  needsHostFiles?: boolean;
  /** Virtual CPUs; default 2. */
  cpus?: number;
  /** Try KVM first (falls back to TCG with a warning); TCG is the default. */
  kvm?: boolean;
  /**
   * The uncompressed ELF image of the same kernel (TargetPaths.vmlinux). Optional: without it
   * one is unpacked from `vmlinuz` and cached. Booting it directly (PVH) saves ~3 s under TCG.
   */
  vmlinux?: string;
  /**
   * Boot through the vmlinuz's own decompressor, which places the kernel at a random address
   * (KASLR) as on real machines; ~3 s slower under TCG. Default false: direct PVH boot, link-time
   * addresses.
   */
  kaslr?: boolean;
  /** Called with the command's output (stdout+stderr) as it arrives. */
  onOutput?: (chunk: string) => void;
}

export interface VmResult {
  /** The command's exit status (128+N when a signal N ended it). */
  exitCode: number;
  /** The command's stdout+stderr. */
  output: string;
  /** The kernel log (the guest's serial console). */
  console: string;
  /** From starting QEMU until the command ended. */
  durationMs: number;
  /** From starting QEMU until the guest was ready to run the command. */
  bootMs: number;
  /** How the guest was run: "tcg" (emulation) or "kvm". */
  accel: Accel;
}

export type Accel = "tcg" | "kvm";
