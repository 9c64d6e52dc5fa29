// SPDX-License-Identifier: GPL-2.0-only
// One VM run: write the run share, start QEMU, stream the command's output from ttyS1 while
// collecting the kernel console from QEMU's stdout, and end in exactly one outcome (the
// command's exit status, or a UserError for a panic, an oops, a failed module load, a timeout).
// QEMU is killed in every case before this returns.
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join, resolve } from "node:path";
import { MissingToolError, UserError } from "../errors/user-error.ts";
import { cacheRoot } from "../util/cache.ts";
import { formatSeconds, note, warn } from "../util/progress.ts";
import { startGuarded } from "../util/reaper.ts";
import { checkUserFile } from "../util/user-files.ts";
import { writeMinimalRun, writeRunShare } from "./guest-command.ts";
import { INIT_FAILURE_PREFIX } from "./init-script.ts";
import { ensureInitramfs } from "./initramfs.ts";
import { pvhKernelFor } from "./kernel-image.ts";
import { ChannelDemux, findTrouble, type GuestReport, lastLines } from "./protocol.ts";
import { launchArgv, qemuArgs, qemuBinary } from "./qemu.ts";
import { makeRunDir } from "./run-dir.ts";
import type { Accel, VmOptions, VmResult } from "./types.ts";

const DEFAULT_TIMEOUT_SEC = 300;
/** A KVM guest that has not reached /init's ready mark by then is taken as hung (seen here). */
const KVM_BOOT_DEADLINE_MS = 30_000;
/**
 * Under TCG a boot takes 2–5 s; one was seen to stall in the kernel's early init (the console
 * stopped at 0.8 s) until the run's timeout. A guest that has not reached /init by then is
 * booted once more. So is a guest whose kernel oopses before /init ran anything of the run:
 * 6.12 kernels were seen (about 1 boot in 25) to hit an unhandled int3 on the second vCPU
 * while the first one patched a 2-byte jump label ("sched_clock: Marking stable"), a race of
 * QEMU 7.2's TCG with the kernel's int3-based text patching, not a property of the kernel.
 */
const DEFAULT_BOOT_DEADLINE_SEC = 60;
/** After QEMU exits, how long to wait for the last bytes of the output channel. */
const CHANNEL_DRAIN_MS = 1_000;

/** What QEMU boots: the kernel, the initramfs, and whether the guest mounts the host's root. */
interface VmImages {
  kernel: string;
  initrd: string;
  hostRoot: boolean;
}

/** Raised internally when KVM does not work, so the caller falls back to TCG. */
class KvmFailed extends Error {}

/** Raised internally when a TCG boot stalls or oopses before /init, so the caller boots once
 * more; carries the error. */
class BootStalled extends Error {
  constructor(readonly userError: UserError) {
    super(userError.message);
  }
}

interface Checked {
  options: VmOptions;
  modules: string[];
  timeoutMs: number;
  bootDeadlineMs: number;
}

function checkOptions(options: VmOptions): Checked {
  if (!existsSync(options.vmlinuz))
    throw new UserError(`The kernel image ${options.vmlinuz} does not exist.`);
  if (!existsSync(options.modulesDir))
    throw new UserError(`The modules directory ${options.modulesDir} does not exist.`);
  if (options.command.length === 0) throw new UserError("No command given to run in the VM.");
  const modules = (options.modules ?? []).map((m) => resolve(m));
  for (const module of modules) checkUserFile(module, "a kernel module");
  if (
    options.writableDir !== undefined &&
    !(existsSync(options.writableDir) && statSync(options.writableDir).isDirectory())
  ) {
    throw new UserError(
      `The writable directory ${options.writableDir} does not exist or is not a directory.`,
    );
  }
  const timeoutSec = options.timeoutSec ?? DEFAULT_TIMEOUT_SEC;
  if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) {
    throw new UserError(`The VM timeout must be a positive number of seconds, not ${timeoutSec}.`);
  }
  const bootDeadlineSec = options.bootDeadlineSec ?? DEFAULT_BOOT_DEADLINE_SEC;
  if (!Number.isFinite(bootDeadlineSec) || bootDeadlineSec <= 0) {
    throw new UserError(`The VM boot deadline must be a positive number of seconds, not ${bootDeadlineSec}.`);
  }
  return { options, modules, timeoutMs: timeoutSec * 1000, bootDeadlineMs: bootDeadlineSec * 1000 };
}

function kvmUsable(): boolean {
  try {
    accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Boots the target kernel in QEMU, runs `options.command` as root in it and returns its status. */
export async function runInVm(options: VmOptions): Promise<VmResult> {
  const checked = checkOptions(options);
  const started = Date.now();
  const initramfs = await ensureInitramfs({ release: options.release, modulesDir: options.modulesDir });
  if (initramfs.built)
    note(`vm: built the initramfs for ${options.release} in ${formatSeconds(Date.now() - started)}`);
  if (
    !initramfs.hostRoot &&
    (checked.modules.length > 0 || options.writableDir !== undefined || options.needsHostFiles)
  ) {
    throw new UserError(
      `Kernel ${options.release} has no 9p support (CONFIG_NET_9P, as in Debian's -cloud-amd64 kernels): its VM runs busybox commands only and cannot load or write host files.`,
    );
  }
  const kernel = options.kaslr
    ? options.vmlinuz
    : ((await pvhKernelFor(options.vmlinuz, options.release, options.vmlinux)) ?? options.vmlinuz);
  if (options.kvm) {
    if (!kvmUsable()) {
      warn("/dev/kvm is not usable here; running the VM under TCG emulation instead.");
    } else {
      try {
        return await boot(checked, { kernel, initrd: initramfs.path, hostRoot: initramfs.hostRoot }, "kvm");
      } catch (error) {
        if (!(error instanceof KvmFailed)) throw error;
        warn(`the VM did not boot under KVM (${error.message}); running it under TCG emulation instead.`);
      }
    }
  }
  return bootUnderTcg(checked, { kernel, initrd: initramfs.path, hostRoot: initramfs.hostRoot });
}

/** A TCG boot, and once more if it stalls before /init (a second stall is the user's error). */
async function bootUnderTcg(checked: Checked, images: VmImages): Promise<VmResult> {
  try {
    return await boot(checked, images, "tcg");
  } catch (error) {
    if (!(error instanceof BootStalled)) throw error;
    warn(`${error.userError.message} Booting it once more.`);
  }
  try {
    return await boot(checked, images, "tcg");
  } catch (error) {
    throw error instanceof BootStalled ? error.userError : error;
  }
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolveListen();
    });
  });
}

type Ending =
  | { kind: "exit"; code: number }
  | { kind: "insmod-failed"; index: number }
  | { kind: "qemu-exited"; code: number | null; signal: NodeJS.Signals | null }
  | { kind: "timeout" }
  | { kind: "boot-stalled" }
  | { kind: "spawn-error"; error: NodeJS.ErrnoException };

/** Everything one QEMU process produced, gathered while it runs. */
class Session {
  console = "";
  qemuStderr = "";
  output = "";
  bootMs: number | undefined;
  private readonly consoleDecoder = new TextDecoder();
  private readonly outputDecoder = new TextDecoder();
  private channel: Socket | undefined;
  private channelClosed = false;
  private onChannelClosed: (() => void) | undefined;
  private end: ((ending: Ending) => void) | undefined;
  readonly ended: Promise<Ending>;
  readonly demux: ChannelDemux;

  constructor(
    nonce: string,
    private readonly startedAt: number,
    private readonly onOutput: ((chunk: string) => void) | undefined,
    private readonly onReady: (bootMs: number) => void,
  ) {
    this.ended = new Promise((resolveEnd) => (this.end = resolveEnd));
    this.demux = new ChannelDemux(
      nonce,
      (text) => this.addOutput(text),
      (report) => this.onReport(report),
    );
  }

  finish(ending: Ending): void {
    const end = this.end;
    this.end = undefined;
    end?.(ending);
  }

  attachChannel(socket: Socket): void {
    this.channel = socket;
    socket.on("data", (bytes: Buffer) => this.demux.push(this.outputDecoder.decode(bytes, { stream: true })));
    socket.on("error", () => {});
    socket.on("close", () => {
      this.demux.push(this.outputDecoder.decode());
      this.demux.flush();
      this.channelClosed = true;
      this.onChannelClosed?.();
    });
  }

  addConsole(bytes: Buffer): void {
    this.console += this.consoleDecoder.decode(bytes, { stream: true }).replace(/\r/g, "");
  }

  /** Waits (briefly) until QEMU's side of the output channel has closed and all of it is read. */
  drainChannel(): Promise<void> {
    if (this.channelClosed || !this.channel) return Promise.resolve();
    return new Promise((resolveDrain) => {
      const timer = setTimeout(resolveDrain, CHANNEL_DRAIN_MS);
      this.onChannelClosed = () => {
        clearTimeout(timer);
        resolveDrain();
      };
    });
  }

  closeChannel(): void {
    this.channel?.destroy();
  }

  private addOutput(text: string): void {
    this.output += text;
    this.onOutput?.(text);
  }

  private onReport(report: GuestReport): void {
    if (report.kind === "ready") {
      this.bootMs = Date.now() - this.startedAt;
      this.onReady(this.bootMs);
    } else if (report.kind === "exit") {
      this.finish({ kind: "exit", code: report.code });
    } else {
      this.finish({ kind: "insmod-failed", index: report.index });
    }
  }
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveExit) => child.once("exit", () => resolveExit()));
}

/** Feeds QEMU's console and its end (or failure to start) into the session. */
function reportTo(session: Session, qemu: ChildProcess): void {
  qemu.stdout?.on("data", (bytes: Buffer) => session.addConsole(bytes));
  qemu.stderr?.on("data", (bytes: Buffer) => (session.qemuStderr += bytes.toString("utf8")));
  qemu.on("error", (error) => session.finish({ kind: "spawn-error", error }));
  qemu.on("exit", (code, signal) => session.finish({ kind: "qemu-exited", code, signal }));
}

/**
 * The run's timeout, and a boot deadline: a guest that has not reached /init by then is stuck
 * (under KVM, TCG takes over; under TCG, it is booted once more).
 */
function deadlines(session: Session, checked: Checked, accel: Accel): NodeJS.Timeout[] {
  const stalled = () => session.bootMs === undefined && session.finish({ kind: "boot-stalled" });
  const bootDeadlineMs = accel === "kvm" ? KVM_BOOT_DEADLINE_MS : checked.bootDeadlineMs;
  return [
    setTimeout(() => session.finish({ kind: "timeout" }), checked.timeoutMs),
    setTimeout(stalled, bootDeadlineMs),
  ];
}

async function boot(checked: Checked, images: VmImages, accel: Accel): Promise<VmResult> {
  const { options } = checked;
  const runDir = makeRunDir();
  const server = createServer();
  let child: ChildProcess | undefined;
  let unguard = (): void => {};
  const timers: NodeJS.Timeout[] = [];
  try {
    // A minimal guest (no 9p) gets its run's files appended to the initramfs instead.
    const { nonce, initrd } = images.hostRoot
      ? {
          ...writeRunShare(runDir, {
            command: options.command,
            cwd: process.cwd(),
            modules: checked.modules,
            writableDir: options.writableDir ? resolve(options.writableDir) : undefined,
          }),
          initrd: images.initrd,
        }
      : writeMinimalRun(runDir, images.initrd, options.command);
    const outputSocket = join(runDir, "output.sock");
    await listen(server, outputSocket);
    const args = qemuArgs({
      vmlinuz: images.kernel,
      initrd,
      hostRoot: images.hostRoot,
      cpus: options.cpus,
      accel,
      runDir,
      outputSocket,
      writableDir: options.writableDir ? resolve(options.writableDir) : undefined,
      extraCmdline: options.extraCmdline,
    });
    const [program, argv] = launchArgv(qemuBinary(), args);
    const startedAt = Date.now();
    const session = new Session(nonce, startedAt, options.onOutput, (bootMs) =>
      note(`vm: ${options.release} booted in ${formatSeconds(bootMs)} (${accel})`),
    );
    server.on("connection", (socket) => session.attachChannel(socket));

    const started = startGuarded(() => spawn(program, argv, { stdio: ["pipe", "pipe", "pipe"] }), {
      cleanUp: () => rmSync(runDir, { recursive: true, force: true }),
    });
    const qemu = started.child;
    child = qemu;
    unguard = started.unguard;
    reportTo(session, qemu);
    timers.push(...deadlines(session, checked, accel));

    const ending = await session.ended;
    if (ending.kind === "qemu-exited") await session.drainChannel();
    qemu.kill("SIGKILL");
    await waitForExit(qemu);
    session.closeChannel();
    const durationMs = Date.now() - startedAt;
    return outcome(ending, session, checked, accel, durationMs);
  } finally {
    for (const timer of timers) clearTimeout(timer);
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await waitForExit(child);
    }
    unguard();
    server.close();
    rmSync(runDir, { recursive: true, force: true });
  }
}

/** Keeps the console of a failed run where the user can read it all. */
function saveConsole(release: string, console: string): string {
  const dir = join(cacheRoot(), "vm", "logs");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${release}-${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}.log`);
  writeFileSync(path, console);
  return path;
}

function vmError(message: string, session: Session, release: string): UserError {
  const log = saveConsole(release, session.console);
  return new UserError(message, [
    `last console lines (full console: ${log}):`,
    ...lastLines(session.console, 30),
  ]);
}

function outcome(
  ending: Ending,
  session: Session,
  checked: Checked,
  accel: Accel,
  durationMs: number,
): VmResult {
  const release = checked.options.release;
  if (ending.kind === "spawn-error") {
    if (ending.error.code === "ENOENT") throw new MissingToolError(qemuBinary(), "qemu-system-x86");
    throw new UserError(`Starting QEMU failed: ${ending.error.message}.`);
  }
  if (accel === "kvm" && session.bootMs === undefined && ending.kind !== "timeout") {
    const reason =
      ending.kind === "boot-stalled"
        ? "no boot within 30 s"
        : session.qemuStderr.trim().split("\n")[0] || "QEMU stopped";
    throw new KvmFailed(reason);
  }
  const trouble = findTrouble(session.console, INIT_FAILURE_PREFIX);
  if (trouble?.kind === "init-failed")
    throw vmError(`The VM's init failed: ${trouble.line}.`, session, release);
  if (trouble) {
    const what =
      trouble.kind === "panic" ? "The guest kernel panicked" : "The guest kernel hit an oops or BUG";
    const error = vmError(`${what}: ${trouble.line}`, session, release);
    // Before the ready mark nothing of the run (its modules, its command) has run yet.
    if (session.bootMs === undefined && accel === "tcg") throw new BootStalled(error);
    throw error;
  }
  if (ending.kind === "boot-stalled") {
    throw new BootStalled(
      vmError(`The VM did not reach init within ${checked.bootDeadlineMs / 1000} s.`, session, release),
    );
  }
  if (ending.kind === "timeout") {
    throw vmError(
      `The VM did not finish within ${checked.timeoutMs / 1000} s and was killed.`,
      session,
      release,
    );
  }
  if (ending.kind === "insmod-failed") {
    const module = checked.modules[ending.index - 1] ?? `module #${ending.index}`;
    const output = lastLines(session.output, 10);
    throw new UserError(`Loading ${module} in the VM failed.`, output);
  }
  if (ending.kind === "qemu-exited") {
    const stderr = session.qemuStderr.trim();
    if (session.bootMs === undefined && stderr)
      throw new UserError(`QEMU failed: ${stderr.split("\n")[0]}`, lastLines(stderr, 10));
    throw vmError("The VM stopped before the command finished.", session, release);
  }
  return {
    exitCode: ending.code,
    output: session.output,
    console: session.console,
    durationMs,
    bootMs: session.bootMs ?? durationMs,
    accel,
  };
}
