// SPDX-License-Identifier: GPL-2.0-only
// No QEMU outlives hotpatch. Every running VM is registered here; while any is registered,
// SIGINT/SIGTERM/SIGHUP handlers kill them all before hotpatch dies of the same signal, and an
// 'exit' handler kills any left. (A SIGKILLed hotpatch cannot run handlers: QEMU is started
// under `setpriv --pdeathsig KILL` for that case, see qemu.ts.)
import type { ChildProcess } from "node:child_process";

/** Each running QEMU, with the synchronous clean-up of its run (its scratch directory). */
const live = new Map<ChildProcess, () => void>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
type HandledSignal = (typeof SIGNALS)[number];

function killAll(): void {
  for (const [child, cleanUp] of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    try {
      cleanUp();
    } catch {
      // best effort: we are dying
    }
  }
}

function onSignal(signal: HandledSignal): void {
  killAll();
  live.clear();
  uninstall();
  // Die of the same signal (the shell sees "killed by SIGINT"), unless someone else handles it.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

const handlers = new Map<HandledSignal, () => void>(SIGNALS.map((s) => [s, () => onSignal(s)]));

function install(): void {
  for (const [signal, handler] of handlers) process.on(signal, handler);
  process.on("exit", killAll);
}

function uninstall(): void {
  for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  process.removeListener("exit", killAll);
}

/**
 * Registers a running QEMU and what to clean up if hotpatch dies first; the returned function
 * unregisters it (call it once it has exited).
 */
export function guardChild(child: ChildProcess, cleanUp: () => void = () => {}): () => void {
  if (live.size === 0) install();
  live.set(child, cleanUp);
  return () => {
    if (!live.delete(child)) return;
    if (live.size === 0) uninstall();
  };
}

/** How many VMs this process is running (for tests). */
export function liveVmCount(): number {
  return live.size;
}
