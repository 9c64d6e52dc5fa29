// SPDX-License-Identifier: GPL-2.0-only
// Where hotpatch keeps kernel trees, packages, objects and VM images: never in the repo.
import { homedir } from "node:os";
import { join } from "node:path";

/** `$HOTPATCH_CACHE`, else `$XDG_CACHE_HOME/hotpatch`, else `~/.cache/hotpatch`. */
export function cacheRoot(): string {
  if (process.env.HOTPATCH_CACHE) return process.env.HOTPATCH_CACHE;
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(xdg, "hotpatch");
}
