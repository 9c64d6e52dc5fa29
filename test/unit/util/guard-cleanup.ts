// SPDX-License-Identifier: GPL-2.0-only
// Helper for reaper.test.ts: registers a clean-up that writes argv[2], unregisters it again
// when argv[4] is "unguard", writes argv[3] once ready, then waits to be killed.
import { writeFileSync } from "node:fs";
import { guardCleanUp } from "../../../src/util/reaper.ts";

const [marker = "", ready = "", mode = ""] = process.argv.slice(2);
const unguard = guardCleanUp(() => writeFileSync(marker, "cleaned up"));
if (mode === "unguard") unguard();
writeFileSync(ready, String(process.pid));
setInterval(() => undefined, 1000);
