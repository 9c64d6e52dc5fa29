// SPDX-License-Identifier: GPL-2.0-only
// Driving a lab the way an operator does: `hotpatch lab --json` started as a process (ready
// when its JSON arrives on stdout), ssh and scp to its guests, reboots awaited by boot id, and
// ansible-playbook runs with their PLAY RECAP read back.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import type { LabHost, LabInfo } from "../../../src/lab/index.ts";
import { LAB_SSH_OPTIONS } from "../../../src/lab/ssh.ts";
import { hotpatchBin, repoRoot } from "../../helpers/cli.ts";

export interface LabProcess {
  child: ChildProcess;
  /** The lab's JSON, once every guest answers. */
  ready: Promise<LabInfo>;
  /** Resolves with the signal or status hotpatch ended with. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

export function startLab(args: string[]): LabProcess {
  const child = spawn(process.execPath, [hotpatchBin, "lab", "--json", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<LabInfo>((resolve, reject) => {
    child.stdout?.on("data", (b: Buffer) => {
      stdout += b.toString("utf8");
      try {
        resolve(JSON.parse(stdout) as LabInfo);
      } catch {
        // not all of it yet
      }
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`hotpatch lab ended (${signal ?? code}) before it was ready:\n${stderr}`)),
    );
  });
  return { child, ready, exited, stderr: () => stderr };
}

export interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs one shell command as root on a guest. */
export async function ssh(host: LabHost, command: string, timeoutMs = 300_000): Promise<Run> {
  const [program, ...args] = host.ssh;
  const result = await execa(program as string, [...args, command], {
    reject: false,
    stdin: "ignore",
    timeout: timeoutMs,
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Like ssh(), asserting the command succeeded; returns its stdout. */
export async function sshOk(host: LabHost, command: string): Promise<string> {
  const r = await ssh(host, command);
  assert.equal(r.exitCode, 0, `${host.name}: ${command} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export async function copyTo(lab: LabInfo, host: LabHost, files: string[], dir: string): Promise<void> {
  await execa(
    "scp",
    [
      "-q",
      "-F",
      "/dev/null",
      ...LAB_SSH_OPTIONS,
      "-i",
      lab.key,
      "-P",
      String(host.port),
      ...files,
      `root@127.0.0.1:${dir}/`,
    ],
    { stdin: "ignore" },
  );
}

/** Reboots a guest and waits until it answers again from a new boot; returns the new boot's id. */
export async function reboot(host: LabHost, timeoutMs = 600_000): Promise<string> {
  const before = (await sshOk(host, "cat /proc/sys/kernel/random/boot_id")).trim();
  await ssh(host, "systemctl reboot", 30_000); // the connection may drop before it answers
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await sleep(3000);
    const r = await ssh(host, "cat /proc/sys/kernel/random/boot_id", 30_000);
    if (r.exitCode === 0 && r.stdout.trim() && r.stdout.trim() !== before) return r.stdout.trim();
  }
  throw new Error(`${host.name} did not come back from its reboot within ${timeoutMs / 1000} s`);
}

export interface Recap {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  rescued: number;
}

/** The PLAY RECAP of an ansible-playbook run, per host. */
export function playRecap(output: string): Map<string, Recap> {
  const recap = new Map<string, Recap>();
  for (const m of output.matchAll(
    /^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=\d+\s+rescued=(\d+)/gm,
  )) {
    recap.set(m[1] as string, {
      ok: Number(m[2]),
      changed: Number(m[3]),
      unreachable: Number(m[4]),
      failed: Number(m[5]),
      rescued: Number(m[6]),
    });
  }
  return recap;
}

/** ansible-playbook ansible/rollout.yml over the lab's inventory with `vars` as extra variables. */
export async function rollout(
  lab: LabInfo,
  vars: Record<string, string>,
  ansibleHome: string,
): Promise<Run & { recap: Map<string, Recap> }> {
  const result = await execa(
    "ansible-playbook",
    ["-i", lab.inventory, "ansible/rollout.yml", "-e", JSON.stringify(vars)],
    {
      cwd: repoRoot,
      reject: false,
      stdin: "ignore",
      env: { ANSIBLE_NOCOLOR: "1", ANSIBLE_HOME: ansibleHome, ANSIBLE_LOCAL_TEMP: `${ansibleHome}/tmp` },
      timeout: 900_000,
    },
  );
  return {
    exitCode: result.exitCode ?? -1,
    stdout: result.stdout,
    stderr: result.stderr,
    recap: playRecap(result.stdout),
  };
}
