// SPDX-License-Identifier: GPL-2.0-only
// Benchmark of the VM harness on the prepared reference target: time to a ready guest and to
// the end of a trivial command, for the default direct (PVH) boot and for the compressed,
// KASLR boot; `node --version` in the guest (the host's userland over 9p); and the output
// channel's throughput. Figures only, no assertions. Under TCG on a 2-core machine shared with
// other work, expect noise: look at the minimum.
// Usage: npx tsx bench/vm-boot.ts [runs]
import { prepareTarget } from "../src/kernel/prepare.ts";
import { DEFAULT_TARGET, parseTargetName } from "../src/kernel/target-layout.ts";
import { runInTargetVm } from "../src/kernel/target-vm.ts";
import type { VmOptions } from "../src/vm/index.ts";

process.env.HOTPATCH_QUIET = "1";
const runs = Number(process.argv[2] ?? 3);
const target = await prepareTarget(parseTargetName(DEFAULT_TARGET));

type Case = Omit<VmOptions, "vmlinuz" | "vmlinux" | "modulesDir" | "release">;

async function measure(label: string, options: Case, count = runs): Promise<void> {
  const boot: number[] = [];
  const total: number[] = [];
  let output = "";
  for (let i = 0; i < count; i++) {
    const result = await runInTargetVm(target, options);
    if (result.exitCode !== 0) throw new Error(`${label}: exit ${result.exitCode}\n${result.output}`);
    boot.push(result.bootMs);
    total.push(result.durationMs);
    output = result.output;
  }
  const s = (ms: number[]) => {
    const sorted = [...ms].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    return `min ${((sorted[0] ?? 0) / 1000).toFixed(1)} s, median ${(median / 1000).toFixed(1)} s`;
  };
  console.log(`${label.padEnd(36)} boot ${s(boot)} | boot+command ${s(total)}  (${count} runs)`);
  if (options.command[0] === "node") console.log(`${"".padEnd(36)} guest says: ${output.trim()}`);
}

await measure("true (direct PVH boot, default)", { command: ["true"] });
await measure("true (compressed image, KASLR)", { command: ["true"], kaslr: true });
await measure("node --version", { command: ["node", "--version"] });

const bytes = 8 * 1024 * 1024;
const started = Date.now();
const result = await runInTargetVm(target, { command: ["head", "-c", String(bytes), "/dev/zero"] });
const channelMs = result.durationMs - result.bootMs;
if (result.output.length !== bytes) throw new Error(`expected ${bytes} bytes, got ${result.output.length}`);
console.log(
  `output channel: ${bytes / 1024 / 1024} MiB in ${(channelMs / 1000).toFixed(1)} s after boot ` +
    `(${(bytes / 1024 / 1024 / (channelMs / 1000)).toFixed(1)} MiB/s; whole run ${((Date.now() - started) / 1000).toFixed(1)} s)`,
);
