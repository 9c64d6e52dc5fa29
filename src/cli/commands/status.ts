// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch status [NAME]`: every livepatch in detail (objects, functions), retired modules,
// installed patches and the kernel taint; with NAME only that patch.
import type { Command } from "@commander-js/extra-typings";
import { UserError } from "../../errors/user-error.ts";
import {
  type PatchStatus,
  readStatus,
  runtimeEnv,
  type SystemStatus,
  type Taint,
} from "../../runtime/index.ts";
import { examples } from "../help.ts";
import { emit } from "../output.ts";

export function stateWord(p: PatchStatus): string {
  if (p.transition) return p.enabled ? "patching (in transition)" : "unpatching (in transition)";
  return p.enabled ? "enabled" : "disabled";
}

export function renderTaint(t: Taint): string {
  if (t.value === 0) return "kernel taint: 0 (not tainted)";
  return `kernel taint: ${t.value} ${t.letters} (${t.flags.map((f) => `${f.letter}: ${f.meaning}`).join("; ")})`;
}

function renderPatch(p: PatchStatus): string {
  const lines = [
    `${p.name}: ${stateWord(p)}, ${p.replace === "unknown" ? "replace mode unknown" : `${p.replace} mode`}${p.forced ? ", FORCED (cannot be unloaded)" : ""}${p.installed ? ", installed for boot" : ""}`,
  ];
  for (const o of p.objects) {
    lines.push(
      `  ${o.name}: ${o.patched ? "patched" : o.name === "vmlinux" ? "not patched" : "waiting for the module to load"}`,
    );
    for (const f of o.functions) lines.push(`    ${f.name}${f.sympos ? ` (sympos ${f.sympos})` : ""}`);
  }
  if (p.fixes) lines.push(...p.fixes.map((f) => `  fix ${f.fix} (sha256 ${f.sha256})`));
  else
    lines.push(
      "  fixes: unknown (its module records none, or it was loaded from a file hotpatch has not seen)",
    );
  if (p.pendingTasks.length)
    lines.push(`  tasks not switched yet:`, ...p.pendingTasks.map((t) => `    ${t}`));
  return lines.join("\n");
}

export function renderRetiredAndStore(s: SystemStatus): string[] {
  const lines: string[] = [];
  for (const r of s.retired) {
    lines.push(
      `${r.name}: retired (disabled or replaced by a cumulative patch), module still loaded${r.removable ? `; remove with 'hotpatch unload ${r.name}'` : ` (refcount ${r.refcnt ?? "?"})`}`,
    );
  }
  const loaded = new Set([...s.patches.map((p) => p.name), ...s.retired.map((r) => r.name)]);
  for (const i of s.installed.filter((e) => !loaded.has(e.name))) {
    lines.push(
      `${i.name}: installed for boot, not loaded${i.complete ? "" : " (INCOMPLETE: will not load)"}`,
    );
  }
  if (s.otherReleases.length)
    lines.push(`patches installed for other kernels (not loaded): ${s.otherReleases.join(", ")}`);
  return lines;
}

function render(s: SystemStatus): string {
  if (!s.livepatchSupported)
    return `kernel ${s.release}: no livepatch support (/sys/kernel/livepatch missing)\n${renderTaint(s.taint)}`;
  const lines = [`kernel ${s.release}`];
  lines.push(...(s.patches.length ? s.patches.map(renderPatch) : ["no livepatches loaded"]));
  lines.push(...renderRetiredAndStore(s), renderTaint(s.taint));
  return lines.join("\n");
}

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("Show livepatches in detail: state, objects, functions, taint")
    .argument("[name]", "only this patch")
    .option("--json", "print the status as JSON")
    .addHelpText("after", examples("hotpatch status", "hotpatch status hp_af_unix_siocatmark --json"))
    .action((name, opts) => {
      const status = readStatus(runtimeEnv());
      if (name) {
        const patch = status.patches.find((p) => p.name === name);
        const retired = status.retired.find((r) => r.name === name);
        const installed = status.installed.filter((i) => i.name === name);
        if (!patch && !retired && installed.length === 0)
          throw new UserError(`No livepatch named ${name} is loaded or installed.`);
        const one = {
          ...status,
          patches: patch ? [patch] : [],
          retired: retired ? [retired] : [],
          installed,
        };
        emit(opts, one, render);
        return;
      }
      emit(opts, status, render);
    });
}
