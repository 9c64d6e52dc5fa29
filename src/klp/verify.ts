// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch verify`: proves a livepatch module in one throw-away VM of its target kernel:
// load, wait for the transition, run the behaviour check, disable, wait, unload. With
// --upgrade-from OLD.ko, the upgrade a live machine goes through: OLD loaded and checked
// first, then NEW's replace transition retires it, and the check runs again.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { readElf } from "../elf/index.ts";
import { UserError } from "../errors/user-error.ts";
import type { TargetPaths } from "../kernel/target-layout.ts";
import { runInTargetVm } from "../kernel/target-vm.ts";
import { parseVerifyOutput, VERIFY_GUEST_SCRIPT, type VerifyStep } from "./verify-guest.ts";

export interface VerifyOptions {
  check?: string;
  /** A module loaded (and checked) first, which NEW must retire: the upgrade path. */
  upgradeFrom?: string;
  /** Seconds each transition may take. */
  transitionTimeoutSec?: number;
  timeoutSec?: number;
  kvm?: boolean;
  onOutput?: (chunk: string) => void;
}

export interface VerifyReport {
  module: string;
  patch: string;
  /** The module NEW was loaded over, with --upgrade-from. */
  upgradeFrom?: { module: string; patch: string };
  ok: boolean;
  steps: VerifyStep[];
  checkOutput: string;
  failure?: string;
  bootMs: number;
  totalMs: number;
}

/** modinfo fields of a .ko (name, vermagic, livepatch). */
export function readModinfo(bytes: Uint8Array): Map<string, string> {
  const obj = readElf(bytes);
  const info = new Map<string, string>();
  const sec = obj.sectionByName(".modinfo");
  if (!sec) return info;
  for (const entry of Buffer.from(sec.data).toString("latin1").split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) info.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return info;
}

/** Checks that a file is a livepatch module; returns its absolute path and module name. */
export function checkLivepatchModule(koPath: string): { ko: string; name: string; release: string } {
  const ko = resolve(koPath);
  let info: Map<string, string>;
  try {
    info = readModinfo(readFileSync(ko));
  } catch (error) {
    throw new UserError(`${koPath} is not a readable kernel module: ${(error as Error).message}`);
  }
  const name = info.get("name");
  if (!name) throw new UserError(`${koPath} has no module name in its .modinfo: is it a kernel module?`);
  if (info.get("livepatch") !== "Y")
    throw new UserError(`${koPath} is not a livepatch module (no livepatch=Y in its modinfo).`);
  // vermagic starts with the release the module was built for ("6.1.0-50-amd64 SMP ...").
  const release = (info.get("vermagic") ?? "").trim().split(/\s+/)[0] ?? "";
  return { ko, name, release };
}

/**
 * A module built for another kernel is refused before any VM work, in words: insmod in the
 * guest would only say "Invalid module format".
 */
export function checkBuiltFor(koPath: string, release: string, target: string): void {
  const built = checkLivepatchModule(koPath).release;
  if (built !== release)
    throw new UserError(
      `${koPath} was built for kernel ${built || "(no vermagic)"}, not for the target ${target}: build it with --target ${target}.`,
    );
}

/** The old module of an upgrade: a livepatch with another module name than the new one. */
export function checkUpgrade(koPath: string, oldPath: string): { ko: string; name: string } {
  const old = checkLivepatchModule(oldPath);
  const name = checkLivepatchModule(koPath).name;
  if (old.name === name) {
    throw new UserError(
      `${oldPath} and ${koPath} are both module ${name}: the kernel cannot hold two modules of one name, so build the new one under another name (--name).`,
    );
  }
  return old;
}

export async function verifyModule(
  paths: TargetPaths,
  koPath: string,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const { ko, name } = checkLivepatchModule(koPath);
  const old = options.upgradeFrom ? checkUpgrade(koPath, options.upgradeFrom) : undefined;
  const limit = options.transitionTimeoutSec ?? 60;
  const command = ["bash", "-c", VERIFY_GUEST_SCRIPT, "verify", ko, name, String(limit), options.check ?? ""];
  if (old) command.push(old.ko, old.name);
  const result = await runInTargetVm(paths, {
    command,
    timeoutSec: options.timeoutSec ?? 300,
    // Real machines run with a randomised kernel base: boot the compressed image the same way,
    // so a patch that baked in a link-time address (instead of a klp relocation) fails here.
    kaslr: true,
    // bash, the module and the check are the host's: a guest without 9p cannot run them.
    needsHostFiles: true,
    kvm: options.kvm,
    onOutput: options.onOutput,
  });
  const parsed = parseVerifyOutput(result.output);
  const failed = parsed.steps.find((s) => !s.ok);
  const ok = result.exitCode === 0 && parsed.done && !failed;
  let failure: string | undefined;
  if (!ok) {
    failure = failed
      ? `step '${failed.step}' failed: ${failed.detail}`
      : `the guest script ended with status ${result.exitCode} before finishing`;
  }
  return {
    module: ko,
    patch: name,
    ...(old ? { upgradeFrom: { module: old.ko, patch: old.name } } : {}),
    ok,
    steps: parsed.steps,
    checkOutput: parsed.checkOutput,
    failure,
    bootMs: result.bootMs,
    totalMs: result.durationMs,
  };
}
