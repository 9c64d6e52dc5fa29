// SPDX-License-Identifier: GPL-2.0-only
// What a header fix changes once macros are expanded: one unit that includes the header is
// preprocessed from the pristine tree and from the fixed view, and the top-level definitions
// of the two texts are compared by name. This names what no text scan can see: functions that
// a macro defines by pasting (`TASK_PFA_TEST(NO_NEW_PRIVS, no_new_privs)` defines
// task_no_new_privs, whose body changes when PFA_NO_NEW_PRIVS does). The unit's own text is
// the same on both sides, so every difference comes from the headers it reads.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { run } from "../util/run.ts";
import { scanConstructs } from "./c-scan.ts";
import { realizeParentReferences } from "./fix.ts";
import type { ChangedName } from "./header-users.ts";
import { retarget } from "./kbuild-cmd.ts";
import type { PreprocessedUnit } from "./preprocess.ts";

export interface ExpansionChanges {
  /** Top-level definitions whose expanded text differs, is new, or is gone, with the file
   * (tree-relative) each is written in. */
  names: Array<ChangedName & { file: string }>;
  /** The expanded text of each changed definition present on both sides. */
  definitions: Array<{ name: string; old: string; new: string; file: string }>;
  /** The headers whose expansions this compared (the probe unit's reads). */
  headers: Set<string>;
}

async function preprocessTo(
  cwd: string,
  unit: PreprocessedUnit,
  out: string,
  logFile?: string,
): Promise<string> {
  const [argv] = retarget(unit.command, out);
  const [program, ...args] = argv ?? [];
  if (!program) throw new Error(`no preprocessing command for ${unit.object}`);
  await run(program, args, { cwd, logFile, what: `preprocessing ${unit.command.source}` });
  try {
    return readFileSync(out, "latin1");
  } finally {
    rmSync(out, { force: true });
  }
}

/** `# 12 "include/linux/foo.h" 2`: where the lines after it come from. */
const LINE_MARKER = /^# \d+ "([^"]*)"/;

/**
 * The expanded text with its line markers blanked (line numbers kept), and for each line the
 * file it comes from (tree-relative when inside the tree).
 */
function withOrigins(text: string): { text: string; fileOf: string[] } {
  const lines = text.split("\n");
  const fileOf: string[] = [];
  let file = "";
  for (const [i, line] of lines.entries()) {
    const marker = LINE_MARKER.exec(line);
    if (marker) {
      file = (marker[1] as string).replace(/^\.\//, "");
      lines[i] = "";
    }
    fileOf.push(file);
  }
  return { text: lines.join("\n"), fileOf };
}

interface Definition {
  text: string;
  isFunction: boolean;
  /** The file its first construct comes from. */
  file: string;
}

/** Each top-level name of an expanded text with the text of its constructs, kind and origin. */
export function definitions(expanded: string): Map<string, Definition> {
  const { text, fileOf } = withOrigins(expanded);
  const lines = text.split("\n");
  const byName = new Map<string, Definition>();
  for (const c of scanConstructs(text)) {
    const span = lines
      .slice(c.first - 1, c.last)
      .join(" ")
      .replace(/\s+/g, " ");
    const isFunction = c.kind === "function" || c.kind === "declaration";
    for (const name of c.names) {
      const seen = byName.get(name);
      byName.set(name, {
        text: `${seen?.text ?? ""}\n${span}`,
        isFunction: isFunction || (seen?.isFunction ?? false),
        file: seen?.file ?? fileOf[c.first - 1] ?? "",
      });
    }
  }
  return byName;
}

/** Compares `unit` expanded from `tree` and from `viewDir`; undefined when either fails. */
export async function expansionChanges(
  tree: string,
  viewDir: string,
  unit: PreprocessedUnit,
  workDir: string,
  logFile?: string,
): Promise<ExpansionChanges | undefined> {
  try {
    const before = definitions(await preprocessTo(tree, unit, join(workDir, "probe-pristine.i"), logFile));
    realizeParentReferences(viewDir, unit.climbs);
    const after = definitions(await preprocessTo(viewDir, unit, join(workDir, "probe-fixed.i"), logFile));
    const names: ExpansionChanges["names"] = [];
    const changed: ExpansionChanges["definitions"] = [];
    for (const name of new Set([...before.keys(), ...after.keys()])) {
      const [b, a] = [before.get(name), after.get(name)];
      if (b?.text === a?.text) continue;
      const file = (a ?? b)?.file ?? "";
      names.push({ name, isFunction: (b ?? a)?.isFunction ?? false, file });
      if (b && a) changed.push({ name, old: b.text, new: a.text, file });
    }
    return { names, definitions: changed, headers: new Set(unit.reads) };
  } catch {
    return undefined;
  }
}
