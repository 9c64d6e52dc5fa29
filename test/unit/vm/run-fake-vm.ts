// SPDX-License-Identifier: GPL-2.0-only
// A process that runs one VM through runInVm (with the fake QEMU selected by the environment),
// for the tests that signal or kill a hotpatch process while its VM runs.
import { runInVm } from "../../../src/vm/index.ts";

const [vmlinuz, modulesDir, release] = process.argv.slice(2) as [string, string, string];
await runInVm({ vmlinuz, modulesDir, release, command: ["sleep", "600"], timeoutSec: 600 });
