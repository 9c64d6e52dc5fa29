// SPDX-License-Identifier: GPL-2.0-only
// Builds the runtime C fixtures (test/fixtures/runtime) against the prepared target into a
// temporary directory, and derives the wrong-kernel module from fixture (a).
import assert from "node:assert/strict";
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildExternalModule } from "../../../src/kernel/kbuild.ts";
import type { TargetPaths } from "../../../src/kernel/target-layout.ts";
import { hotpatchBin, repoRoot } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";

export const fixturesDir = fileURLToPath(new URL("../../fixtures/runtime", import.meta.url));

/** The unit's ExecStart, with /usr/bin/hotpatch replaced by this checkout's CLI. */
export function unitExecStart(): string[] {
  const unit = readFileSync(join(repoRoot, "packaging", "systemd", "hotpatch.service"), "utf8");
  const line = /^ExecStart=(.+)$/m.exec(unit)?.[1];
  assert.ok(line, "the unit has an ExecStart line");
  const [program, ...args] = line.trim().split(/\s+/);
  assert.equal(program, "/usr/bin/hotpatch");
  return ["node", hotpatchBin, ...args];
}

/** Rewrites the release in a module's vermagic (same length), e.g. 6.1.0-50 -> 6.1.0-99. */
export function withOtherRelease(ko: Buffer, release: string, other: string): Buffer {
  if (release.length !== other.length) throw new Error("releases must have the same length");
  const needle = Buffer.from(`vermagic=${release} `);
  const at = ko.indexOf(needle);
  if (at < 0) throw new Error("vermagic not found in module");
  const copy = Buffer.from(ko);
  copy.write(`vermagic=${other} `, at, "latin1");
  return copy;
}

let built: Promise<string> | undefined;

/** Builds once per test process; later calls reuse the same directory. */
export function buildRuntimeFixtures(paths: TargetPaths, release: string): Promise<string> {
  built ??= build(paths, release);
  return built;
}

async function build(paths: TargetPaths, release: string): Promise<string> {
  const dir = scratchDir("hp-runtime-fixtures");
  for (const file of readdirSync(fixturesDir)) copyFileSync(join(fixturesDir, file), join(dir, file));
  await buildExternalModule({ tree: paths.tree, moduleDir: dir, logFile: join(dir, "build.log") });
  const wrong = withOtherRelease(
    readFileSync(join(dir, "hp_rt_a.ko")),
    release,
    release.replace(/-\d\d-/, "-99-"),
  );
  writeFileSync(join(dir, "hp_rt_wrong.ko"), wrong);
  return dir;
}

/** One step of a guest script (its `step NAME CMD...`): exit status, stdout, stderr. */
export interface GuestStep {
  rc: number;
  out: string;
  err: string;
}

/** Reads OUT/<name>.{rc,out,err} as the guest scripts write them; rc -1 when the step never ran. */
export function readGuestStep(outDir: string, name: string): GuestStep {
  const read = (ext: string) => {
    const path = join(outDir, `${name}.${ext}`);
    return existsSync(path) ? readFileSync(path, "utf8") : "";
  };
  return { rc: Number.parseInt(read("rc") || "-1", 10), out: read("out"), err: read("err") };
}
