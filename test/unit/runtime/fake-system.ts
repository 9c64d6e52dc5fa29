// SPDX-License-Identifier: GPL-2.0-only
// A fake /sys and /proc laid out like Linux 6.1's, for testing how the runtime parses them.
// (Only parsing: loading, transitions and unloading are tested on the real kernel in a VM.)
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type RuntimeEnv, runtimeEnv } from "../../../src/runtime/env.ts";
import { type LoadRecord, writeRecord } from "../../../src/runtime/records.ts";
import { scratchDir } from "../../helpers/scratch.ts";

export interface FakePatch {
  name: string;
  enabled?: boolean;
  transition?: boolean;
  /** The 6.11+ sysfs `replace` attribute; undefined: a 6.1 kernel without it. */
  replaceAttribute?: boolean;
  objects: Record<string, { patched: boolean; functions: string[] }>;
}

export interface FakeTask {
  pid: number;
  comm: string;
  patchState: number;
  stack?: string[];
}

function put(path: string, text: string | Uint8Array): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
}

export class FakeSystem {
  readonly root = scratchDir("hp-fake-sys");
  readonly env: RuntimeEnv = runtimeEnv({
    sysfs: join(this.root, "sys"),
    proc: join(this.root, "proc"),
    stateDir: join(this.root, "state"),
    runDir: join(this.root, "run"),
  });

  constructor(release = "6.1.0-50-amd64", tainted = 0) {
    put(join(this.env.proc, "sys", "kernel", "osrelease"), `${release}\n`);
    put(join(this.env.proc, "sys", "kernel", "tainted"), `${tainted}\n`);
    put(join(this.env.proc, "cmdline"), "BOOT_IMAGE=/vmlinuz root=/dev/vda ro quiet\n");
    mkdirSync(join(this.env.sysfs, "kernel", "livepatch"), { recursive: true });
  }

  addPatch(patch: FakePatch): this {
    const dir = join(this.env.sysfs, "kernel", "livepatch", patch.name);
    put(join(dir, "enabled"), patch.enabled === false ? "0\n" : "1\n");
    put(join(dir, "transition"), patch.transition ? "1\n" : "0\n");
    put(join(dir, "force"), "");
    // Linux 6.11+ (Debian's 6.12) has a read-only `replace`; 6.1 has none.
    if (patch.replaceAttribute !== undefined)
      put(join(dir, "replace"), patch.replaceAttribute ? "1\n" : "0\n");
    for (const [obj, spec] of Object.entries(patch.objects)) {
      put(join(dir, obj, "patched"), spec.patched ? "1\n" : "0\n");
      for (const fn of spec.functions) mkdirSync(join(dir, obj, fn), { recursive: true });
    }
    return this.addModule(patch.name, { taint: "OEK", refcnt: 1 });
  }

  addModule(name: string, spec: { taint: string; refcnt: number; holders?: string[] }): this {
    const dir = join(this.env.sysfs, "module", name);
    put(join(dir, "taint"), `${spec.taint}\n`);
    put(join(dir, "refcnt"), `${spec.refcnt}\n`);
    put(join(dir, "initstate"), "live\n");
    mkdirSync(join(dir, "holders"), { recursive: true });
    for (const h of spec.holders ?? []) mkdirSync(join(dir, "holders", h));
    return this;
  }

  addTask(task: FakeTask): this {
    const dir = join(this.env.proc, String(task.pid), "task", String(task.pid));
    put(join(dir, "patch_state"), `${task.patchState}\n`);
    put(join(dir, "comm"), `${task.comm}\n`);
    put(join(dir, "stack"), (task.stack ?? []).map((fn) => `[<0>] ${fn}+0x1a/0x40\n`).join(""));
    return this;
  }

  /** hotpatch's own record of a patch it loaded (/run/hotpatch/loaded/NAME.json). */
  addRecord(record: LoadRecord): this {
    writeRecord(this.env, record);
    return this;
  }

  /** The ELF notes the kernel shows for a loaded module (/sys/module/NAME/notes/). */
  setBuildIdNote(name: string, note: Uint8Array): this {
    put(join(this.env.sysfs, "module", name, "notes", ".note.gnu.build-id"), note);
    return this;
  }

  setCmdline(cmdline: string): this {
    put(join(this.env.proc, "cmdline"), `${cmdline}\n`);
    return this;
  }

  /** Environment variables that point the CLI at this fake system. */
  cliEnv(): Record<string, string> {
    return {
      HOTPATCH_SYSFS_ROOT: this.env.sysfs,
      HOTPATCH_PROC_ROOT: this.env.proc,
      HOTPATCH_STATE_DIR: this.env.stateDir,
      HOTPATCH_RUN_DIR: this.env.runDir,
      HOTPATCH_QUIET: "1",
    };
  }
}
