// SPDX-License-Identifier: GPL-2.0-only
// Shared helpers for the ELF tests: the peer object corpus, C fixtures compiled on the spot
// with kernel-like flags into a temp dir, and readelf/ld runs whose output the tests compare.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { peerDir as sharedPeerDir } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";

export const peerDir = join(sharedPeerDir, "x86_64");
export const fixtureDir = fileURLToPath(new URL("./fixtures", import.meta.url));

/** Every .o of the peer corpus, sorted by name (empty when the corpus is absent). */
export function peerObjects(): string[] {
  if (!existsSync(peerDir)) return [];
  return readdirSync(peerDir)
    .filter((f) => f.endsWith(".o"))
    .sort()
    .map((f) => join(peerDir, f));
}

/** The flags the kernel build uses that shape object layout (sections per function, fentry, mcount). */
export const kernelLikeFlags = [
  "-O2",
  "-ffunction-sections",
  "-fdata-sections",
  "-mcmodel=kernel",
  "-fno-pic",
  "-mfentry",
  "-pg",
  "-mrecord-mcount",
  "-fno-asynchronous-unwind-tables",
  "-fpatchable-function-entry=4,2",
];

export function tempDir(prefix: string): string {
  return scratchDir(prefix);
}

/** Compiles test/unit/elf/fixtures/<name>.c into dir/<name>.o and returns the path. */
export function compileFixture(name: string, dir: string, extraFlags: string[] = []): string {
  const out = join(dir, `${name}.o`);
  const result = spawnSync(
    "gcc",
    ["-c", ...kernelLikeFlags, ...extraFlags, "-o", out, join(fixtureDir, `${name}.c`)],
    { encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`gcc failed on ${name}.c: ${result.stderr}`);
  return out;
}

export interface ToolResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function tool(program: string, args: string[]): ToolResult {
  const result = spawnSync(program, args, { encoding: "utf8", maxBuffer: 1 << 30 });
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

export function readelf(args: string[]): ToolResult {
  return tool("readelf", args);
}

/** readelf -sW rows: index, value, size, type, bind, vis, ndx, name. */
export function readelfSymbols(file: string): string[][] {
  return readelf(["-sW", file])
    .stdout.split("\n")
    .filter((l) => /^\s+\d+:/.test(l))
    .map((l) => {
      const m = /^\s+(\d+):\s+([0-9a-f]+)\s+(\d+|0x[0-9a-f]+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s?(.*)$/.exec(
        l,
      );
      if (!m) throw new Error(`unexpected readelf -s line: ${l}`);
      return m.slice(1);
    });
}

/** readelf -SW rows: index, name, type, offset, size, entsize, flags, link, info, align. */
export function readelfSections(file: string): string[][] {
  return readelf(["-SW", file])
    .stdout.split("\n")
    .filter((l) => /^\s+\[\s*\d+\]/.test(l))
    .map((l) => {
      const m =
        /^\s+\[\s*(\d+)\]\s+(\S*)\s+(\S+)\s+[0-9a-f]{16}\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+(\S*)\s+(\d+)\s+(\d+)\s+(\d+)$/.exec(
          l,
        );
      if (!m) throw new Error(`unexpected readelf -S line: ${l}`);
      return m.slice(1);
    });
}

/** readelf -rW rows per relocation section: [section, offset, info, type, symbol-and-addend]. */
export function readelfRelocations(file: string): string[][] {
  const rows: string[][] = [];
  let current = "";
  for (const line of readelf(["-rW", file]).stdout.split("\n")) {
    const header = /^Relocation section '([^']+)'/.exec(line);
    if (header) {
      current = header[1] ?? "";
      continue;
    }
    const m = /^([0-9a-f]{16})\s+([0-9a-f]{16})\s+(\S+)\s+(?:[0-9a-f]{16}\s+)?(.*)$/.exec(line);
    if (m) rows.push([current, m[1] ?? "", m[2] ?? "", m[3] ?? "", (m[4] ?? "").trim()]);
  }
  return rows;
}
