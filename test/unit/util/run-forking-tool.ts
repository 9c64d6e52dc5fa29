// SPDX-License-Identifier: GPL-2.0-only
// Helper for reaper.test.ts: runs, through hotpatch's run(), a shell that forks a child and
// writes its own pid (the process group's id) to the file named in argv[2]; then waits to be
// killed.
import { run } from "../../../src/util/run.ts";

const pidFile = process.argv[2] ?? "";
await run("sh", ["-c", 'sleep 60 & echo $$ > "$1"; wait', "sh", pidFile]);
