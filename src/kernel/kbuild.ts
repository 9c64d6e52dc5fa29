// SPDX-License-Identifier: GPL-2.0-only
// Building external modules (livepatch modules, test fixtures) with kbuild against a prepared
// target tree. The tree carries the target's Module.symvers and release, so the result's
// vermagic equals the running kernel's.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { run } from "../util/run.ts";

export interface ExternalModuleBuild {
  /** The prepared kernel tree (TargetPaths.tree). */
  tree: string;
  /** Directory holding the module's Kbuild/Makefile and sources; outputs are written here. */
  moduleDir: string;
  logFile?: string;
  /** Extra make variables, e.g. { KCFLAGS: "-ffunction-sections" }. */
  makeVars?: Record<string, string>;
}

/** Runs `make -C <tree> M=<moduleDir> modules` and returns the .ko files it produced. */
export async function buildExternalModule(build: ExternalModuleBuild): Promise<string[]> {
  const vars = Object.entries(build.makeVars ?? {}).map(([k, v]) => `${k}=${v}`);
  await run("make", ["-C", build.tree, `M=${build.moduleDir}`, "-j2", ...vars, "modules"], {
    logFile: build.logFile,
    what: `building the module in ${build.moduleDir}`,
  });
  return readdirSync(build.moduleDir)
    .filter((name) => name.endsWith(".ko"))
    .map((name) => join(build.moduleDir, name));
}
