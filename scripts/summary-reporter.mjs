// SPDX-License-Identifier: GPL-2.0-only
// A small node:test reporter: one line per test (✔/✖/-), failures in full at the end, and the
// closing line `N passed, N failed, N skipped` that CI reads.
import { inspect } from "node:util";

export default async function* summaryReporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures = [];
  for await (const event of source) {
    const { type, data } = event;
    if (type !== "test:pass" && type !== "test:fail") {
      if (type === "test:stderr" || type === "test:stdout") yield data.message;
      continue;
    }
    // Suites report too; count only tests (a failing suite with no failing test still counts).
    const isSuite = data.details?.type === "suite";
    const name = `${"  ".repeat(data.nesting)}${data.name}`;
    const ms = data.details?.duration_ms ? ` (${Math.round(data.details.duration_ms)} ms)` : "";
    if (type === "test:pass") {
      if (data.skip || data.todo) {
        if (!isSuite) skipped++;
        yield `- ${name} # skipped${typeof data.skip === "string" ? `: ${data.skip}` : ""}\n`;
      } else {
        if (!isSuite) passed++;
        yield `✔ ${name}${ms}\n`;
      }
    } else {
      const error = data.details?.error;
      const onlySubtestsFailed = error?.failureType === "subtestsFailed";
      if (!isSuite || !onlySubtestsFailed) {
        if (!onlySubtestsFailed) failed++;
      }
      yield `✖ ${name}${ms}\n`;
      if (!onlySubtestsFailed) failures.push({ name: data.name, file: data.file, error });
    }
  }
  for (const failure of failures) {
    yield `\n✖ ${failure.name} (${failure.file ?? "?"})\n${inspect(failure.error?.cause ?? failure.error, { depth: 4 })}\n`;
  }
  yield `\n${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}
