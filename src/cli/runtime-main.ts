// SPDX-License-Identifier: GPL-2.0-only
// The runtime-only command line, packaged for servers as the `hotpatch` Debian package
// (`npm run deb`, scripts/deb.ts): the commands that operate livepatches on a live system and
// nothing of the build side, bundled for the nodejs of Debian 12 (18.x).
import { runProgram } from "./program.ts";
import { RUNTIME_DESCRIPTION, runtimeCommands } from "./runtime-commands.ts";

runProgram(RUNTIME_DESCRIPTION, runtimeCommands);
