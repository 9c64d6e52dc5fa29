// SPDX-License-Identifier: GPL-2.0-only
// Several targets on one command line (`--target A --target B`): the repeatable option, and the
// pairing of modules with targets by the kernel release in their vermagic. Parsing only; each
// target's work is the single-target pipeline (src/klp), run once per target.
import { basename, join } from "node:path";
import { UserError } from "../errors/user-error.ts";
import { DEFAULT_TARGET, parseTargetName, type TargetId, targetName } from "../kernel/target-layout.ts";
import { checkLivepatchModule } from "../klp/verify.ts";

/** The targets given with --target (each once, in order), or the default target. */
export function targetsFrom(names: string[] | undefined): TargetId[] {
  const ids = (names && names.length > 0 ? names : [DEFAULT_TARGET]).map(parseTargetName);
  return ids.filter((id, i) => ids.findIndex((o) => o.release === id.release) === i);
}

/** With several targets, each module goes to `<dir>/<name>-<release>.ko`. */
export function moduleFileFor(dir: string, name: string, id: TargetId): string {
  return join(dir, `${name}-${id.release}.ko`);
}

/** Pairs each module with the target its vermagic was built for; one sentence when none fits. */
export function pairModules(kos: string[], targets: TargetId[]): Array<{ ko: string; target: TargetId }> {
  return kos.map((ko) => {
    const release = checkLivepatchModule(ko).release;
    const target = targets.find((t) => t.release === release);
    if (!target) {
      throw new UserError(
        `${basename(ko)} was built for kernel ${release || "(no vermagic)"}, which is none of the targets given (${targets.map(targetName).join(", ")}): add --target debian:${release}.`,
      );
    }
    return { ko, target };
  });
}
