// SPDX-License-Identifier: GPL-2.0-only
// A lab: N guests of one target, each a real Debian 12 with systemd on the target's exact
// kernel, reachable by SSH on a loopback port, and an Ansible inventory written once every
// guest answers. Everything it makes lives in one directory named after the hotpatch process
// (disks, key, console logs); stopping the lab, a signal, or the exit of hotpatch kills every
// guest and removes that directory and the inventory. See docs/delivery.md.
import { existsSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { freemem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { UserError } from "../errors/user-error.ts";
import type { TargetManifest } from "../kernel/prepare.ts";
import type { TargetPaths } from "../kernel/target-layout.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { cacheRoot } from "../util/cache.ts";
import { formatSeconds, note, step } from "../util/progress.ts";
import { guardCleanUp } from "../util/reaper.ts";
import { checkOutputPath } from "../util/user-files.ts";
import { ensureInitramfs } from "../vm/initramfs.ts";
import { pvhKernelFor } from "../vm/kernel-image.ts";
import { lastLines } from "../vm/protocol.ts";
import { checkCmdlineWords } from "../vm/qemu.ts";
import { makeOwnedDir } from "../vm/run-dir.ts";
import { LabGuest, lastConsoleText } from "./guest.ts";
import { ensureLabImage } from "./image.ts";
import { LAB_INITRAMFS } from "./init-script.ts";
import { inventoryText } from "./inventory.ts";
import { makeLabKey, sshArgv, waitForSsh } from "./ssh.ts";

export const MAX_HOSTS = 16;
const GUEST_MEMORY_BYTES = 1024 ** 3;

export interface LabOptions {
  paths: TargetPaths;
  manifest: TargetManifest;
  hosts: number;
  /** Where to write the Ansible inventory (default: inventory.ini in the lab's directory). */
  inventory?: string;
  /** Kernel command-line words for every boot of every guest. */
  append?: string[];
  /** How long every guest has to answer on SSH after it starts. */
  bootTimeoutSec?: number;
}

export interface LabHost {
  name: string;
  port: number;
  /** `ssh ... root@127.0.0.1` for this guest. */
  ssh: string[];
  /** Extra kernel command-line words read at each boot of this guest (its boot loader entry). */
  cmdlineFile: string;
  consoleLog: string;
}

export interface LabInfo {
  target: string;
  release: string;
  /** The lab's directory: disks, key, console logs; removed when the lab stops. */
  dir: string;
  inventory: string;
  key: string;
  image: string;
  hosts: LabHost[];
  /** From starting the first guest until every guest answered on SSH. */
  bootMs: number;
}

function labsDir(): string {
  return join(cacheRoot(), "lab", "labs");
}

/** A loopback TCP port nobody listens on now (QEMU binds it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject()));
    });
  });
}

/** Refuses bad options in one sentence, before anything starts; returns the inventory's absolute path. */
export function checkLabOptions(options: Pick<LabOptions, "hosts" | "inventory" | "append">): {
  inventory?: string;
} {
  if (!Number.isInteger(options.hosts) || options.hosts < 1 || options.hosts > MAX_HOSTS)
    throw new UserError(`--hosts takes a whole number from 1 to ${MAX_HOSTS}, not '${options.hosts}'.`);
  checkCmdlineWords(options.append ?? []);
  if (options.hosts * GUEST_MEMORY_BYTES > freemem())
    note(
      `lab: ${options.hosts} guests take ${options.hosts} GB of memory; ${(freemem() / 1024 ** 3).toFixed(1)} GB is free`,
    );
  if (options.inventory === undefined) return {};
  const inventory = resolve(options.inventory);
  checkOutputPath(inventory, "the inventory");
  if (existsSync(inventory))
    throw new UserError(
      `${inventory} already exists: give a new path for the lab's inventory (the lab removes it when it stops).`,
    );
  if (!existsSync(dirname(inventory))) throw new UserError(`The directory of ${inventory} does not exist.`);
  return { inventory };
}

export class Lab {
  private stopped = false;

  private constructor(
    readonly info: LabInfo,
    private readonly guests: LabGuest[],
    private readonly unguard: () => void,
  ) {}

  /** Boots the lab and returns once every guest answers on SSH and the inventory is written. */
  static async start(options: LabOptions): Promise<Lab> {
    const checked = checkLabOptions(options);
    const { paths, manifest } = options;
    const image = await ensureLabImage(manifest);
    const initramfs = await ensureInitramfs(
      { release: manifest.release, modulesDir: paths.modulesDir },
      LAB_INITRAMFS,
    );
    const kernel = (await pvhKernelFor(paths.vmlinuz, manifest.release, paths.vmlinux)) ?? paths.vmlinuz;
    const dir = makeOwnedDir(labsDir(), "lab-");
    const inventory = checked.inventory ?? join(dir, "inventory.ini");
    // From here on a signal or an exit removes what the lab made (after its QEMUs are killed).
    const unguard = guardCleanUp(() => removeLab(dir, inventory));
    const guests: LabGuest[] = [];
    try {
      const key = await makeLabKey(dir);
      const boot = { kernel, initrd: initramfs.path, image: image.path, key, append: options.append ?? [] };
      for (let i = 1; i <= options.hosts; i++)
        guests.push(new LabGuest(`h${i}`, await freePort(), dir, boot));
      const started = Date.now();
      await step(
        `boot ${options.hosts} guest${options.hosts === 1 ? "" : "s"} of ${manifest.release} and wait for SSH`,
        async () => {
          for (const guest of guests) await guest.create();
          await Promise.all(
            guests.map((g) => waitUntilUp(g, key.path, (options.bootTimeoutSec ?? 600) * 1000)),
          );
        },
      );
      const info: LabInfo = {
        target: manifest.target,
        release: manifest.release,
        dir,
        inventory,
        key: key.path,
        image: image.path,
        hosts: guests.map((g) => ({
          name: g.name,
          port: g.port,
          ssh: sshArgv({ port: g.port, key: key.path }),
          cmdlineFile: g.cmdlineFile,
          consoleLog: g.consoleLog,
        })),
        bootMs: Date.now() - started,
      };
      writeFileAtomic(
        inventory,
        inventoryText({ target: manifest.target, key: key.path, hosts: info.hosts }),
      );
      return new Lab(info, guests, unguard);
    } catch (error) {
      await Promise.all(guests.map((g) => g.stop()));
      removeLab(dir, inventory);
      unguard();
      throw error;
    }
  }

  /** Kills every guest and removes the lab's directory and inventory. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.guests.map((g) => g.stop()));
    removeLab(this.info.dir, this.info.inventory);
    this.unguard();
  }
}

async function waitUntilUp(guest: LabGuest, key: string, timeoutMs: number): Promise<void> {
  const outcome = await waitForSsh(
    { port: guest.port, key },
    { timeoutMs, alive: () => guest.state === "running" },
  );
  if (outcome === "up") {
    note(`lab: ${guest.name} answers on 127.0.0.1:${guest.port}`);
    return;
  }
  const console = lastLines(lastConsoleText(guest.consoleLog, 8192).replace(/\r/g, ""), 20);
  if (outcome === "timeout")
    throw new UserError(`Lab guest ${guest.name} did not answer on SSH within ${formatSeconds(timeoutMs)}.`, [
      `last console lines (${guest.consoleLog} is removed with the lab):`,
      ...console,
    ]);
  throw new UserError(
    `Lab guest ${guest.name} stopped before it answered on SSH${guest.qemuError() ? `: ${guest.qemuError()}` : "."}`,
    console,
  );
}

function removeLab(dir: string, inventory: string): void {
  rmSync(inventory, { force: true });
  rmSync(dir, { recursive: true, force: true });
}
