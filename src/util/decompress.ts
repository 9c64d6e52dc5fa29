// SPDX-License-Identifier: GPL-2.0-only
// Reading a file that may be compressed, by its suffix: kernel modules ship as `.ko` (Debian's
// 6.1), `.ko.xz` (Debian's 6.12, CONFIG_MODULE_COMPRESS_XZ), or `.ko.zst`/`.ko.gz` elsewhere.
// gzip is decompressed in-process; xz and zstd by their command-line tools.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { MissingToolError, UserError } from "../errors/user-error.ts";

/** The suffixes readDecompressed understands, longest first. */
export const COMPRESSION_SUFFIXES = [".xz", ".zst", ".gz"] as const;

/** True when `path` names a compressed file readDecompressed can unpack. */
export function isCompressed(path: string): boolean {
  return COMPRESSION_SUFFIXES.some((suffix) => path.endsWith(suffix));
}

/** `path`'s contents, decompressed when its suffix says so. */
export function readDecompressed(path: string): Uint8Array {
  if (path.endsWith(".gz")) return gunzipSync(readFileSync(path));
  if (!isCompressed(path)) return readFileSync(path);
  const [tool, pkg] = path.endsWith(".xz") ? ["xz", "xz-utils"] : ["zstd", "zstd"];
  // A module is at most a few tens of MB unpacked; the buffer limit only guards against junk.
  const result = spawnSync(tool, ["-dc", path], { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 30 });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT")
    throw new MissingToolError(tool, pkg);
  if (result.status !== 0 || result.error) {
    const why =
      result.stderr?.toString().trim().split("\n")[0] || result.error?.message || `exit ${result.status}`;
    throw new UserError(`Decompressing ${path} with ${tool} failed: ${why}.`);
  }
  return result.stdout;
}
