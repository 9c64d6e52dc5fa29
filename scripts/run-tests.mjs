// SPDX-License-Identifier: GPL-2.0-only
// Runs every *.test.ts below the given folders with node:test (TypeScript through tsx) and
// the summary reporter, which ends the run with the line `N passed, N failed, N skipped`.
// HOTPATCH_TEST_FILTER=<substring> runs only the files whose path contains it.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function findTests(dir) {
  if (!statSync(dir).isDirectory()) return [dir];
  const found = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (entry.endsWith(".test.ts")) found.push(path);
  }
  return found;
}

const filter = process.env.HOTPATCH_TEST_FILTER ?? "";
const files = process.argv
  .slice(2)
  .flatMap(findTests)
  .filter((f) => f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error("run-tests: no test files found");
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  [
    "--import",
    "tsx",
    "--test",
    "--test-concurrency=1",
    "--test-reporter=./scripts/summary-reporter.mjs",
    "--test-reporter-destination=stdout",
    ...files,
  ],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
