// SPDX-License-Identifier: GPL-2.0-only
// Option parsers shared by commands: repeatable options and positive numbers, refused with
// commander's usage error (one sentence, then the hint to --help).
import { InvalidArgumentError } from "@commander-js/extra-typings";

/** For a repeatable option: each use adds one value. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function positiveSeconds(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new InvalidArgumentError("expected a positive number of seconds.");
  return parsed;
}

export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new InvalidArgumentError("expected a positive whole number.");
  return parsed;
}
