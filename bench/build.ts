// SPDX-License-Identifier: GPL-2.0-only
// Cold and warm `hotpatch build` of the bundled fix of a target's family (corpus fix 01, af_unix,
// on the reference target; fixes/02, landlock, on a 6.12 target: one unit built into vmlinux
// each), through the CLI bundle as a user runs it, plus the cache size.
// "Cold": the pristine object is neither in hotpatch's object cache nor in the tree (both are
// removed first), so the unit is compiled twice and the module linked from scratch; the target
// itself stays prepared (see bench/target-prepare.ts for that). "Warm": the same build again.
// Usage: npm run build && npx tsx bench/build.ts [debian:<abi>]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { objectCacheDir } from "../src/kernel/compile.ts";
import { prepareTarget } from "../src/kernel/prepare.ts";
import { DEFAULT_TARGET, parseTargetName } from "../src/kernel/target-layout.ts";
import { cacheRoot } from "../src/util/cache.ts";

const repo = new URL("..", import.meta.url).pathname;
const target = process.argv[2] ?? DEFAULT_TARGET;
const sixTwelve = parseTargetName(target).release.startsWith("6.12.");
const fix = join(
  repo,
  "fixes",
  sixTwelve ? "02-landlock-whiteout-make-reg.patch" : "01-af_unix-siocatmark-nonstream.patch",
);
const unit = sixTwelve ? "security/landlock/fs.o" : "net/unix/af_unix.o";
const paths = await prepareTarget(parseTargetName(target));
const out = mkdtempSync(join(tmpdir(), "hotpatch-bench-build-"));

function build(label: string): number {
  const started = performance.now();
  execFileSync(
    process.execPath,
    [join(repo, "bin", "hotpatch.js"), "build", "--target", target, fix, "-o", join(out, "fix.ko")],
    {
      stdio: ["ignore", "ignore", "ignore"],
      env: { ...process.env, HOTPATCH_QUIET: "1" },
    },
  );
  const ms = performance.now() - started;
  console.log(
    `${label.padEnd(5)} build of ${fix.split("/").pop()} for ${target}: ${(ms / 1000).toFixed(2)} s`,
  );
  return ms;
}

function du(path: string): string {
  return execFileSync("du", ["-sh", path], { encoding: "utf8" }).split("\t")[0] ?? "?";
}

rmSync(join(objectCacheDir(paths), unit), { force: true });
rmSync(join(objectCacheDir(paths), `${unit}.cmd`), { force: true });
rmSync(join(paths.tree, unit), { force: true });
const cold = build("cold");
const warm = build("warm");
console.log(
  `aim: cold <= 60 s (${cold <= 60_000 ? "met" : "missed"}), warm <= 10 s (${warm <= 10_000 ? "met" : "missed"})`,
);
console.log(
  `cache: target ${target} ${du(paths.root)}, object cache ${du(objectCacheDir(paths))}, all of ${cacheRoot()} ${du(cacheRoot())}`,
);
rmSync(out, { recursive: true, force: true });
