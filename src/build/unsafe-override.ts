// SPDX-License-Identifier: GPL-2.0-only
// The test-only override of refusals (HOTPATCH_TEST_BUILD_REFUSED, src/util/unsafe-override.ts):
// a unit refused only for the listed kinds goes into the module as if it were patchable, with
// what the differ would have carried. It exists to prove in a VM that a refusal is right — that
// the module it prevents breaks a running kernel (test/integration/safety/vm-proof.test.ts) —
// and is read here only, once per build. Refusals not found by diffing a compiled unit (a
// touched assembly file, a header over the unit budget, a cross-unit link) are never overridden.
import type { DiffResult, RefusalKind } from "../diff/index.ts";
import { UserError } from "../errors/user-error.ts";
import { included } from "../klp/assemble.ts";
import { UNSAFE_BUILD_VAR, unsafeKinds } from "../util/unsafe-override.ts";

const KINDS: readonly RefusalKind[] = [
  "unsafe-data",
  "changed-interface",
  "init-code",
  "no-fentry",
  "orphan-change",
  "special-section",
  "unsupported",
];

/** A refusal the override let through, for the report's warnings. */
export interface OverriddenRefusal {
  unit: string;
  name: string;
  kind: string;
  reason: string;
}

/** The kinds the environment asks to override (none when the variable is unset). */
export function overriddenKinds(env: NodeJS.ProcessEnv = process.env): ReadonlySet<string> {
  const kinds = unsafeKinds(env[UNSAFE_BUILD_VAR]);
  const unknown = kinds.filter((k) => !(KINDS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new UserError(
      `${UNSAFE_BUILD_VAR} names unknown refusal kind(s) ${unknown.join(", ")} (known: ${KINDS.join(", ")}).`,
    );
  }
  return new Set(kinds);
}

/** The diff with the refusals of `kinds` removed, and its verdict as the rest decides it. */
function withoutKinds(diff: DiffResult, kinds: ReadonlySet<string>): DiffResult {
  const refused = diff.refused.filter((r) => !kinds.has(r.kind));
  const verdict = refused.length > 0 ? "refused" : included(diff).length > 0 ? "patchable" : "no-change";
  return { ...diff, refused, verdict };
}

/** Each unit's diff without the overridden refusals, and those refusals. */
export function overrideRefusals<T extends { unit: { source: string }; diff: DiffResult }>(
  diffs: T[],
  kinds: ReadonlySet<string>,
): { diffs: T[]; overridden: OverriddenRefusal[] } {
  if (kinds.size === 0) return { diffs, overridden: [] };
  const overridden = diffs.flatMap((d) =>
    d.diff.refused
      .filter((r) => kinds.has(r.kind))
      .map((r) => ({ unit: d.unit.source, name: r.name, kind: r.kind, reason: r.reason })),
  );
  return { diffs: diffs.map((d) => ({ ...d, diff: withoutKinds(d.diff, kinds) })), overridden };
}

/** Printed when a build starts with the override set, whatever it then finds. */
export function overrideNotice(kinds: ReadonlySet<string>): string {
  return `${UNSAFE_BUILD_VAR}=${[...kinds].join(",")} is set: units refused for these kinds are built anyway. This is a test-only switch: such a module is UNSAFE by construction, is marked so in its modinfo, and 'hotpatch load' refuses it.`;
}

/** The report's warning for each refusal the override let through. */
export function overrideWarning(r: OverriddenRefusal): string {
  return `UNSAFE, built only because ${UNSAFE_BUILD_VAR} is set (test-only): ${r.unit}: ${r.name}: ${r.kind}: ${r.reason}`;
}
