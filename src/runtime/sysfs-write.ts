// SPDX-License-Identifier: GPL-2.0-only
// Writing livepatch sysfs attributes (enabled, force) and turning the kernel's errno into a
// sentence: EBUSY means another transition runs, EINVAL that the patch is already in that state.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors/user-error.ts";
import { patchDir, type RuntimeEnv } from "./env.ts";

export function writePatchAttribute(
  env: RuntimeEnv,
  name: string,
  attribute: "enabled" | "force",
  value: "0" | "1",
): void {
  try {
    writeFileSync(join(patchDir(env, name), attribute), value);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "EBUSY"
        ? "another livepatch transition is in progress"
        : code === "EINVAL"
          ? "the kernel refused the change (already in that state, or a disabled patch cannot be re-enabled)"
          : code === "EACCES" || code === "EPERM"
            ? "permission denied (run as root)"
            : code === "ENOENT"
              ? "the patch is no longer registered"
              : (code ?? String(error));
    throw new UserError(`Could not write ${value} to ${name}/${attribute}: ${why}.`);
  }
}
