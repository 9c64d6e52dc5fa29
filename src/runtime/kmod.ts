// SPDX-License-Identifier: GPL-2.0-only
// Loading and removing modules with kmod's insmod/rmmod (finit_module/delete_module), and
// the kernel log lines that explain a refusal.
import { execa } from "execa";
import { MissingToolError, UserError } from "../errors/user-error.ts";

async function kmod(program: "insmod" | "rmmod", args: string[]): Promise<{ ok: boolean; message: string }> {
  const result = await execa(program, args, { reject: false, all: true, stdin: "ignore" });
  if ((result as { code?: string }).code === "ENOENT") throw new MissingToolError(program, "kmod");
  return { ok: result.exitCode === 0, message: (result.all ?? "").trim() };
}

/** The last kernel log lines that mention `word` (livepatch messages name the module). */
async function kernelLogAbout(words: string[], max = 6): Promise<string[]> {
  const result = await execa("dmesg", [], { reject: false, stdin: "ignore" });
  const lines = (result.stdout ?? "").split("\n");
  return lines.filter((line) => words.some((w) => line.includes(w))).slice(-max);
}

export async function insmod(path: string, name: string): Promise<void> {
  const { ok, message } = await kmod("insmod", [path]);
  if (ok) return;
  const log = await kernelLogAbout([name, "livepatch"]);
  throw new UserError(`The kernel refused to load ${name}: ${message || "insmod failed"}.`, log);
}

export async function rmmod(name: string): Promise<void> {
  const { ok, message } = await kmod("rmmod", [name]);
  if (!ok) throw new UserError(`Could not remove module ${name}: ${message || "rmmod failed"}.`);
}
