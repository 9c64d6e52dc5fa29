// SPDX-License-Identifier: GPL-2.0-only
// Integration tests' access to the reference target: prepared once in the cache (the first
// call in a cold cache takes about a minute or two), then instant.
import { prepareTarget } from "../../src/kernel/prepare.ts";
import { DEFAULT_TARGET, parseTargetName, type TargetPaths } from "../../src/kernel/target-layout.ts";

let prepared: Promise<TargetPaths> | undefined;

/** The prepared debian:6.1.0-50-amd64 target (prepares it on first use). */
export function ensureTarget(): Promise<TargetPaths> {
  prepared ??= prepareTarget(parseTargetName(DEFAULT_TARGET));
  return prepared;
}
