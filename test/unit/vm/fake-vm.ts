// SPDX-License-Identifier: GPL-2.0-only
// Test setup for running the real harness against fake-qemu.mjs: a scratch cache, a fake
// kernel and modules tree, and a way to see whether the fake QEMU process is still alive.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { VmOptions } from "../../../src/vm/types.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { DEBIAN_LIKE, type FakeModule, writeFakeModulesDir } from "./fake-modules.ts";

export const fakeQemu = fileURLToPath(new URL("./fake-qemu.mjs", import.meta.url));

export interface FakeVm {
  dir: string;
  pidFile: string;
  env: Record<string, string>;
  options: Pick<VmOptions, "vmlinuz" | "modulesDir" | "release">;
}

/** `modules` defaults to a Debian-like tree; CLOUD_LIKE is one without 9p. */
export function makeFakeVm(mode: string, modules: FakeModule[] = DEBIAN_LIKE): FakeVm {
  const dir = scratchDir("hotpatch-fakevm");
  const modulesDir = join(dir, "lib/modules/0.0.0-fake");
  writeFakeModulesDir(modulesDir, modules);
  const vmlinuz = join(dir, "vmlinuz");
  writeFileSync(vmlinuz, "not a real kernel");
  mkdirSync(join(dir, "cache"));
  const pidFile = join(dir, "qemu.pid");
  const env = {
    HOTPATCH_CACHE: join(dir, "cache"),
    HOTPATCH_QEMU: fakeQemu,
    HOTPATCH_QUIET: "1",
    FAKE_QEMU_MODE: mode,
    FAKE_QEMU_PIDFILE: pidFile,
    FAKE_QEMU_STATE: join(dir, "state"),
  };
  return { dir, pidFile, env, options: { vmlinuz, modulesDir, release: "0.0.0-fake" } };
}

export async function waitFor<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await sleep(50);
  }
}

export function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(pidFile, "utf8"), 10);
    return Number.isFinite(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}
