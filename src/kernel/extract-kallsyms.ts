// SPDX-License-Identifier: GPL-2.0-only
// The target's symbol table, read from the running kernel instead of the 855 MB -dbg package:
// boot the target in the VM with `nokaslr` (so addresses are the link-time ones that the
// extracted vmlinux uses), read /proc/kallsyms as root (non-root readers see zeros) through
// the VM's output channel (which also works in the minimal guest of a kernel without 9p, such
// as Debian's -cloud-amd64 ones), and check it against the image before trusting it.
import { closeSync, openSync, readSync } from "node:fs";
import { UserError } from "../errors/user-error.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import type { VmOptions } from "../vm/types.ts";

/** The part of the VM interface (src/vm/index.ts) this step uses. */
export type KallsymsVmRequest = Pick<
  VmOptions,
  "vmlinuz" | "modulesDir" | "release" | "command" | "extraCmdline" | "timeoutSec"
>;
export type KallsymsVmRunner = (options: KallsymsVmRequest) => Promise<{ exitCode: number; output: string }>;

export interface KallsymsSummary {
  symbols: number;
  /** Address of `_text`, e.g. "ffffffff81000000". */
  textAddress: string;
}

/** Lowest virtual address of an executable PT_LOAD segment of an ELF64 little-endian executable
 * (for vmlinux: `_text`; the per-cpu segment is linked at 0 and is not executable). */
export function elfLowestLoadAddress(header: Uint8Array): bigint | undefined {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (header.length < 64 || view.getUint32(0, false) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1)
    return undefined;
  const phoff = Number(view.getBigUint64(0x20, true));
  const phentsize = view.getUint16(0x36, true);
  const phnum = view.getUint16(0x38, true);
  let lowest: bigint | undefined;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 56 > header.length) return lowest;
    if (view.getUint32(at, true) !== 1 /* PT_LOAD */ || (view.getUint32(at + 4, true) & 1) /* PF_X */ === 0)
      continue;
    const vaddr = view.getBigUint64(at + 0x10, true);
    if (lowest === undefined || vaddr < lowest) lowest = vaddr;
  }
  return lowest;
}

/** Checks a /proc/kallsyms text: many symbols, real (root-read) addresses, `_text` at `expectedText`. */
export function checkKallsyms(text: string, expectedText?: bigint): KallsymsSummary {
  let symbols = 0;
  let zero = 0;
  let textAddress: string | undefined;
  for (const line of text.split("\n")) {
    if (!line) continue;
    const [address, , name] = line.split(/\s+/, 3);
    if (!address || !name) continue;
    symbols++;
    if (/^0+$/.test(address)) zero++;
    if (name === "_text") textAddress = address;
  }
  if (symbols < 10_000)
    throw new UserError(
      `The target's /proc/kallsyms has only ${symbols} symbols: the capture is incomplete.`,
    );
  if (zero > symbols / 2)
    throw new UserError("The target's /proc/kallsyms shows zero addresses: it was not read as root.");
  if (!textAddress) throw new UserError("The target's /proc/kallsyms has no _text symbol.");
  if (expectedText !== undefined && BigInt(`0x${textAddress}`) !== expectedText) {
    throw new UserError(
      `The target's _text is at ${textAddress} but the image is linked at ${expectedText.toString(16)}: the kernel was not booted with nokaslr.`,
    );
  }
  return { symbols, textAddress };
}

function readHead(path: string, bytes: number): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const buffer = new Uint8Array(bytes);
    const got = readSync(fd, buffer, 0, bytes, 0);
    return buffer.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

export interface KallsymsCapture {
  runInVm: KallsymsVmRunner;
  vmlinuz: string;
  modulesDir: string;
  release: string;
  logFile: string;
}

/** Boots the target with nokaslr and returns its /proc/kallsyms, read as root. */
export async function captureKallsyms(capture: KallsymsCapture): Promise<string> {
  const result = await capture.runInVm({
    vmlinuz: capture.vmlinuz,
    modulesDir: capture.modulesDir,
    release: capture.release,
    command: ["cat", "/proc/kallsyms"],
    extraCmdline: ["nokaslr"],
    timeoutSec: 180,
  });
  if (result.exitCode !== 0) {
    writeFileAtomic(capture.logFile, `exit code ${result.exitCode}\n${result.output.slice(-4000)}\n`);
    throw new UserError(
      `Reading /proc/kallsyms in the target VM failed with exit code ${result.exitCode} (log: ${capture.logFile}).`,
    );
  }
  writeFileAtomic(capture.logFile, `exit code 0, ${result.output.length} bytes of /proc/kallsyms\n`);
  return result.output;
}

/** Checks kallsyms against the extracted image (`vmlinux`) and writes it to `out`. */
export function saveCheckedKallsyms(text: string, vmlinux: string, out: string): KallsymsSummary {
  const summary = checkKallsyms(text, elfLowestLoadAddress(readHead(vmlinux, 4096)));
  writeFileAtomic(out, text);
  return summary;
}
