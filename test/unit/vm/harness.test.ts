// SPDX-License-Identifier: GPL-2.0-only
// The harness around QEMU, exercised with a fake QEMU: exit status and output come back
// through the channel, panics and timeouts are UserErrors with console lines, and no QEMU
// process survives: not on success, not on a timeout, not when hotpatch gets SIGINT/SIGTERM
// or is SIGKILLed.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { after, test } from "node:test";
import { UserError } from "../../../src/errors/user-error.ts";
import { guardedChildCount } from "../../../src/util/reaper.ts";
import { runInVm } from "../../../src/vm/index.ts";
import { isAlive } from "../../helpers/processes.ts";
import { CLOUD_LIKE, type FakeModule } from "./fake-modules.ts";
import { type FakeVm, makeFakeVm, readPid, waitFor } from "./fake-vm.ts";

const made: FakeVm[] = [];
after(() => {
  for (const vm of made) rmSync(vm.dir, { recursive: true, force: true });
});

/** Runs `work` with the fake VM's environment set (runInVm reads it), then restores it. */
async function withFake<T>(
  mode: string,
  work: (vm: FakeVm) => Promise<T>,
  modules?: FakeModule[],
): Promise<T> {
  const vm = makeFakeVm(mode, modules);
  made.push(vm);
  const saved = Object.fromEntries(Object.keys(vm.env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vm.env);
  try {
    return await work(vm);
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

/** How many times the fake QEMU was started. */
function boots(vm: FakeVm): number {
  return readFileSync(`${vm.pidFile}.starts`, "utf8").split("\n").filter(Boolean).length;
}

function assertQemuGone(vm: FakeVm): void {
  const pid = readPid(vm.pidFile);
  assert.ok(pid, "the fake QEMU ran");
  assert.equal(isAlive(pid), false, `QEMU ${pid} is still running`);
  assert.equal(guardedChildCount(), 0);
}

test("the command's status, output and console come back, and QEMU is gone", async () => {
  await withFake("exit", async (vm) => {
    const chunks: string[] = [];
    const result = await runInVm({ ...vm.options, command: ["true"], onOutput: (c) => chunks.push(c) });
    assert.equal(result.exitCode, 7);
    assert.equal(result.output, "hello from the guest\n");
    assert.equal(chunks.join(""), result.output);
    assert.match(result.console, /Linux version 0\.0\.0-fake\n/);
    assert.equal(result.accel, "tcg");
    assertQemuGone(vm);
    assert.ok(existsSync(vm.env.HOTPATCH_CACHE ?? ""), "the initramfs went into the cache");
  });
});

test("a guest panic is a UserError with the console's last lines", async () => {
  await withFake("panic", async (vm) => {
    await assert.rejects(runInVm({ ...vm.options, command: ["true"] }), (error: Error) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /panicked: .*Kernel panic - not syncing: sysrq triggered crash/);
      assert.ok(error.details.some((line) => line.includes("sysrq: Trigger a crash")));
      return true;
    });
    assertQemuGone(vm);
  });
});

test("a timeout kills QEMU and says so", async () => {
  await withFake("hang", async (vm) => {
    const started = Date.now();
    await assert.rejects(
      runInVm({ ...vm.options, command: ["true"], timeoutSec: 1 }),
      /did not finish within 1 s/,
    );
    assert.ok(Date.now() - started < 30_000);
    assertQemuGone(vm);
  });
});

test("a boot that stalls before /init is killed and booted once more", async () => {
  await withFake("stall-once", async (vm) => {
    const result = await runInVm({ ...vm.options, command: ["true"], bootDeadlineSec: 1 });
    assert.equal(result.exitCode, 0);
    assert.match(result.output, /booted the second time/);
    assertQemuGone(vm);
  });
});

test("a kernel that oopses before /init is booted once more; an oops after it is not", async () => {
  await withFake("oops-once", async (vm) => {
    const result = await runInVm({ ...vm.options, command: ["true"] });
    assert.equal(result.exitCode, 0);
    assert.match(result.output, /booted the second time/);
    assert.equal(boots(vm), 2);
    assertQemuGone(vm);
  });
  // "panic" panics after the ready mark: the run's own doing, reported without a second boot.
  await withFake("panic", async (vm) => {
    await assert.rejects(runInVm({ ...vm.options, command: ["true"] }), /panicked/);
    assert.equal(boots(vm), 1);
  });
});

test("a boot that stalls twice is a UserError naming the deadline, and no QEMU is left", async () => {
  await withFake("stall", async (vm) => {
    const started = Date.now();
    await assert.rejects(
      runInVm({ ...vm.options, command: ["true"], bootDeadlineSec: 1 }),
      (error: unknown) => error instanceof UserError && /did not reach init within 1 s/.test(error.message),
    );
    assert.ok(Date.now() - started < 30_000);
    assertQemuGone(vm);
  });
});

test("a kernel without 9p (cloud): the command runs in the minimal guest, its files appended to the initramfs", async () => {
  await withFake(
    "exit",
    async (vm) => {
      const result = await runInVm({ ...vm.options, command: ["cat", "/proc/kallsyms"] });
      assert.equal(result.exitCode, 7);
      assert.equal(result.output, "hello from the guest\n");
      assert.ok(existsSync(`${vm.pidFile}.minimal`), "QEMU got no host shares");
      assertQemuGone(vm);
    },
    CLOUD_LIKE,
  );
});

test("a kernel without 9p refuses host modules, a writable directory and host programs before QEMU starts", async () => {
  await withFake(
    "exit",
    async (vm) => {
      for (const extra of [
        { modules: [vm.options.vmlinuz] },
        { writableDir: vm.dir },
        { needsHostFiles: true },
      ]) {
        await assert.rejects(
          runInVm({ ...vm.options, command: ["true"], ...extra }),
          /has no 9p support .* cannot load or write host files/,
        );
      }
      assert.equal(readPid(vm.pidFile), undefined);
    },
    CLOUD_LIKE,
  );
});

test("a module that fails to load is named", async () => {
  await withFake("insmod", async (vm) => {
    await assert.rejects(
      runInVm({ ...vm.options, command: ["true"], modules: [vm.options.vmlinuz] }),
      (error: Error) =>
        error instanceof UserError &&
        error.message.includes(`Loading ${vm.options.vmlinuz} in the VM failed`),
    );
    assertQemuGone(vm);
  });
});

test("QEMU failing to start is reported with its own message", async () => {
  await withFake("quit", async (vm) => {
    await assert.rejects(
      runInVm({ ...vm.options, command: ["true"] }),
      /QEMU failed: .*failed to initialize kvm/,
    );
  });
});

test("bad options are UserErrors before anything starts", async () => {
  await withFake("exit", async (vm) => {
    await assert.rejects(runInVm({ ...vm.options, command: [] }), UserError);
    await assert.rejects(runInVm({ ...vm.options, command: ["true"], timeoutSec: 0 }), UserError);
    await assert.rejects(
      runInVm({ ...vm.options, command: ["true"], modules: ["/no/such.ko"] }),
      /does not exist/,
    );
    await assert.rejects(
      runInVm({ ...vm.options, command: ["true"], writableDir: "/no/such/dir" }),
      /does not exist/,
    );
    assert.equal(readPid(vm.pidFile), undefined);
  });
});

/** `pdeathsig: false` takes setpriv away, so only the signal handlers can kill QEMU. */
function startHotpatchLike(vm: FakeVm, { pdeathsig }: { pdeathsig: boolean }): ChildProcess {
  const script = new URL("./run-fake-vm.ts", import.meta.url).pathname;
  const { vmlinuz, modulesDir, release } = vm.options;
  return spawn(process.execPath, ["--import", "tsx", script, vmlinuz, modulesDir, release], {
    env: { ...process.env, ...vm.env, HOTPATCH_VM_NO_PDEATHSIG: pdeathsig ? "0" : "1" },
    stdio: "ignore",
  });
}

for (const signal of ["SIGTERM", "SIGINT", "SIGKILL"] as const) {
  test(`${signal} to a process running a VM leaves no QEMU behind`, async () => {
    const vm = makeFakeVm("hang");
    made.push(vm);
    // SIGKILL cannot be handled: only the parent-death signal saves the day there.
    const child = startHotpatchLike(vm, { pdeathsig: signal === "SIGKILL" });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_code, sig) => resolve(sig)),
    );
    const qemuPid = await waitFor(() => readPid(vm.pidFile));
    assert.ok(isAlive(qemuPid));
    child.kill(signal);
    assert.equal(await exited, signal, "the process dies of the signal it got");
    await waitFor(() => (isAlive(qemuPid) ? undefined : true), 5_000);
    if (signal !== "SIGKILL") {
      // The handlers also removed the run's scratch directory (the fake QEMU was given it).
      const runDir = readFileSync(`${vm.pidFile}.rundir`, "utf8");
      assert.equal(existsSync(runDir), false, `${runDir} was removed`);
    } else {
      rmSync(readFileSync(`${vm.pidFile}.rundir`, "utf8"), { recursive: true, force: true }); // nobody else can
    }
  });
}
