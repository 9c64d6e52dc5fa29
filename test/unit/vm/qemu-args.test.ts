// SPDX-License-Identifier: GPL-2.0-only
// The QEMU command line: the verified settings, both serial channels, the shares, and values
// that QEMU's option syntax would misread.
import assert from "node:assert/strict";
import { test } from "node:test";
import { UserError } from "../../../src/errors/user-error.ts";
import { kernelCmdline, launchArgv, qemuArgs, qemuValue } from "../../../src/vm/qemu.ts";

const base = {
  vmlinuz: "/k/vmlinuz",
  initrd: "/c/init.cpio",
  accel: "tcg" as const,
  runDir: "/tmp/run",
  outputSocket: "/tmp/run/out.sock",
};

function valueAfter(args: string[], flag: string): string[] {
  return args.flatMap((arg, i) => (arg === flag ? [args[i + 1] ?? ""] : []));
}

test("the VM is TCG, -cpu max, 1 GiB, 2 CPUs, no reboot, no NIC", () => {
  const args = qemuArgs(base);
  assert.deepEqual(valueAfter(args, "-accel"), ["tcg"]);
  assert.deepEqual(valueAfter(args, "-cpu"), ["max"]);
  assert.deepEqual(valueAfter(args, "-m"), ["1024"]);
  assert.deepEqual(valueAfter(args, "-smp"), ["2"]);
  assert.ok(args.includes("-nographic") && args.includes("-no-reboot"));
  assert.deepEqual(valueAfter(args, "-kernel"), ["/k/vmlinuz"]);
  assert.deepEqual(valueAfter(args, "-initrd"), ["/c/init.cpio"]);
});

test("one vCPU when asked (kernels whose transitions rewrite cond_resched sites); no shares for a minimal guest", () => {
  assert.deepEqual(valueAfter(qemuArgs({ ...base, cpus: 1 }), "-smp"), ["1"]);
  assert.deepEqual(valueAfter(qemuArgs({ ...base, hostRoot: false }), "-virtfs"), []);
});

test("the host root is shared read-only with multidevs=remap; the writable dir read-write", () => {
  const args = qemuArgs({ ...base, writableDir: "/tmp/out" });
  const shares = valueAfter(args, "-virtfs");
  assert.ok(
    shares.includes("local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"),
  );
  assert.ok(
    shares.includes("local,path=/tmp/run,mount_tag=hprun,security_model=none,readonly=on,multidevs=remap"),
  );
  assert.ok(shares.includes("local,path=/tmp/out,mount_tag=hostrw,security_model=none,multidevs=remap"));
  assert.equal(qemuArgs(base).filter((a) => a.includes("hostrw")).length, 0);
});

test("console on stdio (ttyS0), command output on a virtio-serial port on the socket", () => {
  const args = qemuArgs(base);
  assert.deepEqual(valueAfter(args, "-serial"), ["mon:stdio"]);
  assert.ok(
    valueAfter(args, "-device").includes("virtserialport,bus=hpserial.0,chardev=hpout,name=hotpatch.out"),
  );
  assert.deepEqual(valueAfter(args, "-chardev"), ["socket,id=hpout,path=/tmp/run/out.sock"]);
});

test("the kernel command line ends the VM on any panic, and takes extra words", () => {
  assert.equal(kernelCmdline(), "console=ttyS0 panic=-1 oops=panic");
  assert.equal(
    kernelCmdline(["nokaslr", "loglevel=7"]),
    "console=ttyS0 panic=-1 oops=panic nokaslr loglevel=7",
  );
  assert.throws(() => kernelCmdline(["two words"]), UserError);
  assert.throws(() => kernelCmdline([""]), UserError);
  assert.equal(
    valueAfter(qemuArgs({ ...base, extraCmdline: ["nokaslr"] }), "-append")[0],
    "console=ttyS0 panic=-1 oops=panic nokaslr",
  );
});

test("commas in paths are doubled for QEMU", () => {
  assert.equal(qemuValue("/tmp/a,b"), "/tmp/a,,b");
  const shares = valueAfter(qemuArgs({ ...base, writableDir: "/tmp/x,readonly=on" }), "-virtfs");
  assert.ok(
    shares.includes("local,path=/tmp/x,,readonly=on,mount_tag=hostrw,security_model=none,multidevs=remap"),
  );
});

test("QEMU is started under a parent-death signal when setpriv exists", () => {
  const [program, argv] = launchArgv("qemu-system-x86_64", ["-m", "1"]);
  if (program === "/usr/bin/setpriv")
    assert.deepEqual(argv, ["--pdeathsig", "KILL", "--", "qemu-system-x86_64", "-m", "1"]);
  else assert.deepEqual([program, argv], ["qemu-system-x86_64", ["-m", "1"]]);
});
