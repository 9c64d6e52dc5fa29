// SPDX-License-Identifier: GPL-2.0-only
// No tool outlives hotpatch. Every child started through run() (make, tar, dpkg-deb …) and
// every QEMU is registered here; while any is registered, SIGINT/SIGTERM/SIGHUP handlers kill them all — and wait until
// they are really gone — before hotpatch dies of the same signal. An 'exit' handler kills any
// left. Why wait: a killed prepare must not leave tar writing into a directory that the next
// prepare (or a test's clean-up) is deleting.
//
// Tools that fork (dpkg-deb runs tar, make runs gcc) are started in their own process group
// (`detached`) and registered with `group: true`: the whole group is killed, not just its
// leader. A SIGKILLed hotpatch runs no handlers; QEMU is started under
// `setpriv --pdeathsig KILL` for that case (src/vm/qemu.ts). Clean-ups that belong to no single
// child (a lab's directory and inventory) are registered with guardCleanUp and run after every
// child is gone.
import type { ChildProcess } from "node:child_process";
import { isLive, isPidAlive, listProcesses } from "./processes.ts";

export interface GuardOptions {
  /** The child leads its own process group (spawned detached): kill the whole group. */
  group?: boolean;
  /** Synchronous clean-up once the child is gone (e.g. removing its scratch directory). */
  cleanUp?: () => void;
}

/** The part of a child process the reaper needs (node's ChildProcess and execa's both fit). */
type Guardable = Pick<ChildProcess, "pid" | "exitCode" | "signalCode" | "kill">;

const live = new Map<Guardable, GuardOptions>();
/** Clean-ups that belong to no single child (e.g. a lab's directory): run after every child is gone. */
const cleanUps = new Set<() => void>();
// SIGQUIT too: the tools run in their own process groups, so the terminal's Ctrl-\ reaches
// only hotpatch.
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const;
type HandledSignal = (typeof SIGNALS)[number];
/** How long a signal handler waits for killed children to die before giving up. */
const DEATH_WAIT_MS = 5_000;

function isRunning(child: Guardable): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function killChild(child: Guardable, options: GuardOptions): void {
  if (options.group && child.pid !== undefined) {
    try {
      process.kill(-child.pid, "SIGKILL");
      return;
    } catch {
      // the group is already empty; fall through for the leader itself
    }
  }
  if (isRunning(child)) child.kill("SIGKILL");
}

/**
 * Whether any process of group `pgid` is still alive (zombies do not count: they can no longer
 * write anything). Read from /proc, because kill(-pgid, 0) also succeeds for a group of zombies.
 */
export function groupHasLiveMembers(pgid: number): boolean {
  return listProcesses().some((p) => p.pgrp === pgid && isLive(p));
}

/** Blocks the whole process (a signal handler must finish before anything else runs). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether a killed child is still running: its whole group, or the process alone. */
function stillRunning(child: Guardable, options: GuardOptions): boolean {
  if (child.pid === undefined) return false;
  const pid = child.pid;
  return options.group ? groupHasLiveMembers(pid) : isPidAlive(pid);
}

/** Waits (bounded) until no killed child runs, so clean-ups never race a dying tool. */
function waitUntilGone(entries: Array<[Guardable, GuardOptions]>): void {
  const deadline = Date.now() + DEATH_WAIT_MS;
  let waiting = entries.filter(([child, options]) => stillRunning(child, options));
  while (waiting.length > 0 && Date.now() < deadline) {
    sleepSync(20);
    waiting = waiting.filter(([child, options]) => stillRunning(child, options));
  }
}

function killAll(): void {
  const entries = [...live];
  const extra = [...cleanUps];
  live.clear();
  cleanUps.clear();
  for (const [child, options] of entries) killChild(child, options);
  waitUntilGone(entries);
  for (const cleanUp of [...entries.map(([, options]) => options.cleanUp), ...extra]) {
    try {
      cleanUp?.();
    } catch {
      // best effort: we are dying
    }
  }
}

const guarding = (): boolean => live.size > 0 || cleanUps.size > 0;

function onSignal(signal: HandledSignal): void {
  killAll();
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
 * Starts a child with `start` (which must spawn synchronously) and registers it with what to
 * clean up if hotpatch dies first; `unguard` unregisters it (call it once the child has exited).
 * The handlers are installed before the spawn: node runs a signal's JS handler only from the
 * event loop, so a signal that arrives while the child starts is handled after it is
 * registered — never in a window where the child would be left running.
 */
export function startGuarded<T extends Guardable>(
  start: () => T,
  options: GuardOptions = {},
): { child: T; unguard: () => void } {
  if (!guarding()) install();
  let child: T;
  try {
    child = start();
  } catch (error) {
    if (!guarding()) uninstall();
    throw error;
  }
  live.set(child, options);
  const unguard = () => {
    if (!live.delete(child)) return;
    if (!guarding()) uninstall();
  };
  return { child, unguard };
}

/**
 * Registers a synchronous clean-up that runs if hotpatch dies of a signal or exits while it is
 * registered, after every guarded child has been killed (so nothing still uses what it
 * removes). Returns the function that unregisters it.
 */
export function guardCleanUp(cleanUp: () => void): () => void {
  if (!guarding()) install();
  cleanUps.add(cleanUp);
  return () => {
    if (!cleanUps.delete(cleanUp)) return;
    if (!guarding()) uninstall();
  };
}

/** How many children this process is guarding (for tests). */
export function guardedChildCount(): number {
  return live.size;
}
