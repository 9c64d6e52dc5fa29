// SPDX-License-Identifier: GPL-2.0-only
// One lab guest: a QEMU of the target's kernel booting its own copy-on-write disk (a qcow2
// overlay over the cached image), its sshd forwarded to a loopback port. QEMU exits when the
// guest reboots (-action reboot=shutdown) and the guest is booted again at once with the same
// disk, reading its "boot loader entry" (extra kernel command-line words, a file in the lab's
// directory) anew, so `echo hotpatch.skip > <lab>/h1.cmdline; ssh h1 reboot` boots with it.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, readSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { note, warn } from "../util/progress.ts";
import { startGuarded } from "../util/reaper.ts";
import { run } from "../util/run.ts";
import { checkCmdlineWords, launchArgv, qemuBinary, qemuValue } from "../vm/qemu.ts";
import { KEY_PARAMETER } from "./init-script.ts";
import type { LabKey } from "./ssh.ts";

export interface GuestBoot {
  /** The kernel QEMU starts (the PVH vmlinux, or the vmlinuz). */
  kernel: string;
  initrd: string;
  /** The cached raw ext4 image the overlay is backed by. */
  image: string;
  key: LabKey;
  /** Kernel command-line words for every boot of every guest (`hotpatch lab --append`). */
  append: readonly string[];
}

export type GuestState = "running" | "off" | "stopped";

/** The kernel's last words before QEMU exits, and what they mean for the lab. */
const LAST_WORDS: ReadonlyArray<readonly [string, "reboot" | "panic" | "power-off"]> = [
  ["reboot: Restarting system", "reboot"],
  ["Kernel panic - not syncing", "panic"],
  ["reboot: Power down", "power-off"],
];

/** Why the guest's QEMU exited, from the last of those words on its console. */
export function exitReason(consoleTail: string): "reboot" | "panic" | "power-off" | "unknown" {
  let found: "reboot" | "panic" | "power-off" | "unknown" = "unknown";
  let at = -1;
  for (const [words, reason] of LAST_WORDS) {
    const index = consoleTail.lastIndexOf(words);
    if (index > at) [found, at] = [reason, index];
  }
  return found;
}

export class LabGuest {
  readonly overlay: string;
  readonly consoleLog: string;
  /** The guest's boot loader entry: extra kernel command-line words, read at every boot. */
  readonly cmdlineFile: string;
  state: GuestState = "off";
  /** Boots so far (1 after the first start). */
  boots = 0;
  private qemu: ChildProcess | undefined;
  private qemuStderr = "";
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly port: number,
    dir: string,
    private readonly boot: GuestBoot,
  ) {
    this.overlay = join(dir, `${name}.qcow2`);
    this.consoleLog = join(dir, `${name}.console.log`);
    this.cmdlineFile = join(dir, `${name}.cmdline`);
  }

  /** Creates the guest's disk (an overlay of the image) and boot loader entry, then boots it. */
  async create(): Promise<void> {
    await run("qemu-img", ["create", "-q", "-f", "qcow2", "-b", this.boot.image, "-F", "raw", this.overlay], {
      what: `qemu-img create of ${this.name}'s disk`,
    });
    writeFileSync(this.cmdlineFile, "");
    this.start();
  }

  /** Extra words from the boot loader entry (whitespace-separated; `#` starts a comment). */
  bootWords(): string[] {
    let text = "";
    try {
      text = readFileSync(this.cmdlineFile, "utf8");
    } catch {
      return [];
    }
    return text
      .split("\n")
      .map((line) => line.replace(/#.*/, ""))
      .join(" ")
      .split(/\s+/)
      .filter(Boolean);
  }

  cmdline(): string {
    const words = [...this.boot.append, ...this.bootWords()];
    checkCmdlineWords(words);
    return [
      "console=ttyS0",
      // An emulated guest on a busy host can fail the kernel's IO-APIC timer check and panic.
      "no_timer_check",
      // A panicked guest reboots (and the lab boots it again), as a server with kernel.panic set.
      "panic=10",
      `systemd.hostname=${this.name}`,
      `${KEY_PARAMETER}=${this.boot.key.publicBase64}`,
      ...words,
    ].join(" ");
  }

  qemuArgs(): string[] {
    return [
      ...["-accel", "tcg", "-cpu", "max", "-m", "1024", "-smp", "1"],
      ...["-nodefaults", "-display", "none", "-monitor", "none"],
      ...[
        "-chardev",
        `file,id=console,path=${qemuValue(this.consoleLog)},append=on`,
        "-serial",
        "chardev:console",
      ],
      // A guest reboot ends QEMU; the lab boots the guest again with its boot loader entry.
      ...["-action", "reboot=shutdown"],
      ...["-kernel", this.boot.kernel, "-initrd", this.boot.initrd, "-append", this.cmdline()],
      ...["-drive", `file=${qemuValue(this.overlay)},if=virtio,format=qcow2`],
      ...[
        "-netdev",
        `user,id=net0,hostfwd=tcp:127.0.0.1:${this.port}-:22`,
        "-device",
        "virtio-net-pci,netdev=net0",
      ],
      ...["-device", "virtio-rng-pci"],
    ];
  }

  private start(): void {
    const [program, argv] = launchArgv(qemuBinary(), this.qemuArgs());
    const { child, unguard } = startGuarded(() =>
      spawn(program, argv, { stdio: ["ignore", "ignore", "pipe"] }),
    );
    this.qemu = child;
    this.qemuStderr = "";
    this.state = "running";
    this.boots++;
    child.stderr?.on("data", (bytes: Buffer) => (this.qemuStderr += bytes.toString("utf8")));
    this.exited = new Promise((resolve) => {
      child.on("error", (error: NodeJS.ErrnoException) => {
        this.qemuStderr += error.code === "ENOENT" ? `${qemuBinary()} is not installed` : error.message;
      });
      child.on("close", (code, signal) => {
        unguard();
        this.onExit(code, signal);
        resolve();
      });
    });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.qemu = undefined;
    if (this.state === "stopped") return;
    const reason = code === 0 ? exitReason(lastConsoleText(this.consoleLog)) : "unknown";
    if (reason === "reboot" || reason === "panic") {
      const words = this.bootWords().join(" ") || "no extra kernel words";
      if (reason === "panic")
        warn(`lab: ${this.name}'s kernel panicked (see ${this.consoleLog}); booting it again (${words})`);
      else note(`lab: ${this.name} rebooted; booting it again (${words})`);
      this.start();
      return;
    }
    this.state = "off";
    if (code === 0) note(`lab: ${this.name} powered off`);
    else
      warn(
        `lab: ${this.name}'s QEMU stopped (${signal ?? `exit status ${code}`}): ${this.qemuStderr.trim().split("\n")[0] || `see ${this.consoleLog}`}`,
      );
  }

  /** QEMU's own complaint when it stopped early (e.g. the port was taken). */
  qemuError(): string {
    return this.qemuStderr.trim().split("\n")[0] ?? "";
  }

  /** Kills the guest's QEMU (its disk goes with the lab) and waits until it is gone. */
  async stop(): Promise<void> {
    this.state = "stopped";
    this.qemu?.kill("SIGKILL");
    await this.exited;
  }
}

/** The last few KB of the console log: what the guest's kernel said before QEMU exited. */
export function lastConsoleText(path: string, bytes = 4096): string {
  try {
    const size = statSync(path).size;
    const fd = openSync(path, "r");
    try {
      const buffer = Buffer.alloc(Math.min(bytes, size));
      readSync(fd, buffer, 0, buffer.length, size - buffer.length);
      return buffer.toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return "";
  }
}
