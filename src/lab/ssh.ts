// SPDX-License-Identifier: GPL-2.0-only
// SSH to lab guests: one ed25519 key per lab (its public half reaches each guest on the kernel
// command line), and the options that make a throw-away loopback host usable from scripts
// (no host key prompts or records, no agent or user config, batch mode).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { UserError } from "../errors/user-error.ts";
import { run } from "../util/run.ts";

export interface LabKey {
  /** The private key file (0600). */
  path: string;
  /** The base64 body of the public key (what follows `ssh-ed25519 `). */
  publicBase64: string;
}

export async function makeLabKey(dir: string): Promise<LabKey> {
  const path = join(dir, "id_ed25519");
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "hotpatch-lab", "-f", path], {
    what: "ssh-keygen of the lab's key",
  });
  const [type, body] = readFileSync(`${path}.pub`, "utf8").trim().split(/\s+/);
  if (type !== "ssh-ed25519" || !body) throw new Error(`unexpected public key in ${path}.pub`);
  return { path, publicBase64: body };
}

/** Options for every ssh to a lab guest (Ansible's inventory carries the same ones). */
export const LAB_SSH_OPTIONS = [
  "-o",
  "StrictHostKeyChecking=no",
  "-o",
  "UserKnownHostsFile=/dev/null",
  "-o",
  "IdentitiesOnly=yes",
  "-o",
  "LogLevel=ERROR",
];

export interface SshTarget {
  port: number;
  key: string;
}

/** The argv of `ssh` to root on a guest, running `command` (one shell string, as ssh sends it). */
export function sshArgv(target: SshTarget, command?: string): string[] {
  return [
    "ssh",
    "-F",
    "/dev/null",
    ...LAB_SSH_OPTIONS,
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=10",
    "-i",
    target.key,
    "-p",
    String(target.port),
    "root@127.0.0.1",
    ...(command === undefined ? [] : [command]),
  ];
}

/** Whether the guest's sshd lets root in with the lab's key now. */
async function answers(target: SshTarget): Promise<boolean> {
  const [program, ...args] = sshArgv(target, "true");
  const result = await execa(program as string, args, { reject: false, stdin: "ignore", timeout: 30_000 });
  if ((result as { code?: string }).code === "ENOENT")
    throw new UserError("ssh is not installed: install it with 'apt-get install openssh-client'.");
  return result.exitCode === 0;
}

/**
 * Waits until the guest answers on SSH. `alive` says whether its QEMU still runs (a guest that
 * stopped will never answer); gives up after `timeoutMs`.
 */
export async function waitForSsh(
  target: SshTarget,
  options: { timeoutMs: number; alive: () => boolean },
): Promise<"up" | "timeout" | "stopped"> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (!options.alive()) return "stopped";
    if (await answers(target)) return "up";
    if (Date.now() >= deadline) return "timeout";
    await sleep(1000);
  }
}
