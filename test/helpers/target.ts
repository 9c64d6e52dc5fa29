// SPDX-License-Identifier: GPL-2.0-only
// Integration tests' access to the real targets: each prepared once in the cache (the first
// call in a cold cache takes a minute or two), then instant. Test files run in processes of
// their own; a second process waits on the target's lock and then reuses what the first made.
import { prepareTarget } from "../../src/kernel/prepare.ts";
import { DEFAULT_TARGET, parseTargetName, type TargetPaths } from "../../src/kernel/target-layout.ts";

/** The second family: Debian 12's 6.12 backport kernel (IBT, call padding, objtool at link). */
export const TARGET_6_12 = "debian:6.12.107+deb12-amd64";

const prepared = new Map<string, Promise<TargetPaths>>();

/** A prepared target, debian:6.1.0-50-amd64 by default (prepares it on first use). */
export function ensureTarget(name: string = DEFAULT_TARGET): Promise<TargetPaths> {
  let paths = prepared.get(name);
  if (!paths) {
    paths = prepareTarget(parseTargetName(name));
    prepared.set(name, paths);
  }
  return paths;
}
