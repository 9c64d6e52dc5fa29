// SPDX-License-Identifier: GPL-2.0-only
// Colours for messages on stderr: only when stderr is a terminal (and NO_COLOR is unset), so
// logs, CI output and tests that read stderr see plain text. FORCE_COLOR=1 forces them on.
import pc from "picocolors";

function wantColors(): boolean {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== "0") return true;
  return process.stderr.isTTY === true && process.env.TERM !== "dumb";
}

export const colors = pc.createColors(wantColors());
