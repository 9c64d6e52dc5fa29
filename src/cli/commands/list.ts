// SPDX-License-Identifier: GPL-2.0-only
// `hotpatch list`: one line per livepatch (active, retired, installed-only) and the taint.
import type { Command } from "@commander-js/extra-typings";
import { readStatus, runtimeEnv, type SystemStatus } from "../../runtime/index.ts";
import { table } from "../../util/text-table.ts";
import { emit } from "../output.ts";
import { renderRetiredAndStore, renderTaint, stateWord } from "./status.ts";

function render(s: SystemStatus): string {
  const lines: string[] = [];
  if (s.patches.length) {
    const rows = [["NAME", "STATE", "MODE", "OBJECTS", "FUNCTIONS", "FIXES"]];
    for (const p of s.patches) {
      rows.push([
        p.name + (p.forced ? " (forced)" : ""),
        stateWord(p),
        p.replace,
        p.objects.map((o) => `${o.name}${o.patched ? "" : "(waiting)"}`).join(",") || "-",
        String(p.objects.reduce((n, o) => n + o.functions.length, 0)),
        p.fixes ? p.fixes.map((f) => f.fix).join(", ") : "unknown",
      ]);
    }
    lines.push(table(rows));
  } else {
    lines.push(s.livepatchSupported ? "no livepatches loaded" : "no livepatch support in this kernel");
  }
  lines.push(...renderRetiredAndStore(s), renderTaint(s.taint));
  return lines.join("\n");
}

export function registerList(program: Command): void {
  program
    .command("list")
    .description("List livepatches on this system: loaded, retired and installed")
    .option("--json", "print the list as JSON")
    .action((opts) => emit(opts, readStatus(runtimeEnv()), render));
}
