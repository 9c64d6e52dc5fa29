// SPDX-License-Identifier: GPL-2.0-only
// Parsing the 6.1 livepatch sysfs layout, module state, tasks and taint from a fake tree.
import assert from "node:assert/strict";
import { release } from "node:os";
import { test } from "node:test";
import { runtimeEnv } from "../../../src/runtime/env.ts";
import { readStatus } from "../../../src/runtime/status.ts";
import {
  parseFunctionDir,
  readLivepatchModules,
  readPatches,
  readRelease,
} from "../../../src/runtime/sysfs.ts";
import { decodeTaint } from "../../../src/runtime/taint.ts";
import { parseStack, pendingTasks } from "../../../src/runtime/tasks.ts";
import { FakeSystem } from "./fake-system.ts";

test("function directories <name,sympos> are parsed, names with commas keep all but the last", () => {
  assert.deepEqual(parseFunctionDir("cmdline_proc_show,1"), { name: "cmdline_proc_show", sympos: 1 });
  assert.deepEqual(parseFunctionDir("foo.isra.0,0"), { name: "foo.isra.0", sympos: 0 });
  assert.equal(parseFunctionDir("patched"), null);
  assert.equal(parseFunctionDir("x,y"), null);
});

test("patches, their objects (patched or waiting) and functions are read from sysfs", () => {
  const sys = new FakeSystem().addPatch({
    name: "lp_fix",
    transition: true,
    objects: {
      vmlinux: { patched: true, functions: ["cmdline_proc_show,1"] },
      ext4: { patched: false, functions: ["ext4_foo,0", "ext4_bar,2"] },
    },
  });
  const [patch, ...rest] = readPatches(sys.env);
  assert.equal(rest.length, 0);
  assert.deepEqual(patch, {
    name: "lp_fix",
    enabled: true,
    transition: true,
    objects: [
      {
        name: "ext4",
        patched: false,
        functions: [
          { name: "ext4_bar", sympos: 2 },
          { name: "ext4_foo", sympos: 0 },
        ],
      },
      { name: "vmlinux", patched: true, functions: [{ name: "cmdline_proc_show", sympos: 1 }] },
    ],
  });
});

test("livepatch modules are the loaded modules whose taint has K; retired ones show in the status", () => {
  const sys = new FakeSystem(undefined, (1 << 15) | (1 << 12) | (1 << 13))
    .addPatch({ name: "lp_new", objects: { vmlinux: { patched: true, functions: ["f,0"] } } })
    .addModule("lp_old", { taint: "OEK", refcnt: 0 })
    .addModule("ext4", { taint: "", refcnt: 3 });
  assert.deepEqual(
    readLivepatchModules(sys.env).map((m) => m.name),
    ["lp_new", "lp_old"],
  );
  const status = readStatus(sys.env);
  assert.deepEqual(
    status.patches.map((p) => [p.name, p.refcnt]),
    [["lp_new", 1]],
  );
  assert.deepEqual(status.retired, [{ name: "lp_old", refcnt: 0, removable: true }]);
  assert.equal(status.taint.letters, "OEK");
  assert.equal(status.release, "6.1.0-50-amd64");
});

test("a 6.12 kernel's replace attribute decides the mode; without it (6.1) the record or the store does", () => {
  const sys = new FakeSystem()
    .addPatch({
      name: "lp_cumulative",
      replaceAttribute: true,
      objects: { vmlinux: { patched: true, functions: [] } },
    })
    .addPatch({
      name: "lp_stacked",
      replaceAttribute: false,
      objects: { vmlinux: { patched: true, functions: [] } },
    })
    .addPatch({ name: "lp_old_kernel", objects: { vmlinux: { patched: true, functions: [] } } });
  assert.deepEqual(
    readStatus(sys.env).patches.map((p) => [p.name, p.replace]),
    [
      ["lp_cumulative", "replace"],
      ["lp_old_kernel", "unknown"],
      ["lp_stacked", "stack"],
    ],
  );
  assert.equal(readPatches(sys.env).find((p) => p.name === "lp_old_kernel")?.replaceAttribute, undefined);
});

test("taint decodes every set bit to its letter; K means live patched", () => {
  assert.deepEqual(decodeTaint(0), { value: 0, flags: [], letters: "", livepatched: false });
  const t = decodeTaint((1 << 15) | (1 << 12) | 1);
  assert.equal(t.letters, "POK");
  assert.equal(t.livepatched, true);
  assert.equal(decodeTaint(1 << 30).letters, "?");
});

test("kernel stacks parse to function names; pending tasks are those not in the target state", () => {
  assert.deepEqual(
    parseStack("[<0>] msleep_interruptible+0x2a/0x50\n[<0>] hp_stall_sleep+0x1e/0x40 [hp_rt_stall_target]\n"),
    ["msleep_interruptible", "hp_stall_sleep"],
  );
  const sys = new FakeSystem()
    .addTask({ pid: 1, comm: "init", patchState: 1 })
    .addTask({
      pid: 42,
      comm: "hp_stall",
      patchState: 0,
      stack: ["msleep_interruptible", "hp_stall_sleep", "kthread"],
    })
    .addTask({ pid: 43, comm: "idle_user", patchState: -1 });
  const pending = pendingTasks(sys.env, 1, ["hp_stall_sleep"]);
  assert.equal(pending.length, 1);
  assert.equal(pending[0]?.pid, 42);
  assert.equal(pending[0]?.comm, "hp_stall");
  assert.deepEqual(pending[0]?.blockingFunctions, ["hp_stall_sleep"]);
  assert.deepEqual(
    pendingTasks(sys.env, 0).map((t) => t.pid),
    [1],
  );
});

test("the release comes from procfs, and from uname when procfs cannot be read (never empty)", () => {
  assert.equal(readRelease(new FakeSystem("6.1.0-77-amd64").env), "6.1.0-77-amd64");
  assert.equal(readRelease(runtimeEnv({ proc: "/nonexistent" })), release());
});
