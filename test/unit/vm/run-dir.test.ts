// SPDX-License-Identifier: GPL-2.0-only
// A VM run's scratch directory is named after its hotpatch process; the next run removes those
// of processes that are gone (a SIGKILLed hotpatch cleans nothing up).
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import { test } from "node:test";
import { makeOwnedDir, makeRunDir } from "../../../src/vm/run-dir.ts";
import { scratchDir } from "../../helpers/scratch.ts";

test("a new run directory carries this process's pid; those of dead processes are removed", () => {
  const tmp = scratchDir("run-dir");
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = tmp; // os.tmpdir() reads it on every call
  try {
    const dead = join(tmp, "hotpatch-vm-999999999-abc"); // above any pid_max
    const mine = join(tmp, `hotpatch-vm-${process.pid}-def`);
    const foreign = join(tmp, "hotpatch-vm-ghi"); // not named after a process: not ours to judge
    for (const dir of [dead, mine, foreign]) mkdirSync(join(dir, "share"), { recursive: true });
    const made = makeRunDir();
    assert.match(basename(made), new RegExp(`^hotpatch-vm-${process.pid}-`));
    assert.ok(existsSync(made));
    assert.equal(existsSync(dead), false, "the dead process's directory is gone");
    assert.ok(existsSync(mine), "a live process's directory stays");
    assert.ok(existsSync(foreign));
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
});

test("makeOwnedDir does the same for another folder and prefix (a lab's directory, an image build)", () => {
  const parent = join(scratchDir("owned-dir"), "labs");
  mkdirSync(join(parent, ".build-999999999-abc"), { recursive: true });
  mkdirSync(join(parent, ".buildX999999999-abc"), { recursive: true }); // the prefix is literal
  const made = makeOwnedDir(parent, ".build-");
  assert.match(basename(made), new RegExp(`^\\.build-${process.pid}-`));
  assert.equal(existsSync(join(parent, ".build-999999999-abc")), false);
  assert.ok(existsSync(join(parent, ".buildX999999999-abc")));
});
