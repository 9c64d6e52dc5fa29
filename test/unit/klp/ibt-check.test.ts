// SPDX-License-Identifier: GPL-2.0-only
// The static IBT check over a module's code: only functions whose address is taken must start
// with an unsealed ENDBR64, in the module and in the running kernel; direct branches, tables
// of instruction addresses and klp_func.new_func (entered by ftrace's return) do not count.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { execa } from "execa";
import { readElf } from "../../../src/elf/index.ts";
import { describeIbtViolation, ibtViolations, type RunningFunctions } from "../../../src/klp/ibt-check.ts";
import { scratchDir } from "../../helpers/scratch.ts";

const objPath = join(scratchDir("hotpatch-ibt"), "ibt-module.o");
before(async () => {
  await execa("gcc", ["-c", new URL("./fixtures/ibt-module.s", import.meta.url).pathname, "-o", objPath]);
});

/** The running kernel of the test: one function without ENDBR64, one sealed, one fine. */
const running: RunningFunctions = {
  entry: ({ name }) =>
    ({
      kernel_no_endbr: { endbr: false, sealed: false },
      kernel_sealed: { endbr: true, sealed: true },
      kernel_fine: { endbr: true, sealed: false },
    })[name],
};

test("address-taken functions without ENDBR64 or with a sealed one are found, nothing else", () => {
  const violations = ibtViolations(readElf(readFileSync(objPath)), running);
  assert.deepEqual(violations.map((v) => [v.function, v.problem]).sort(), [
    ["bare", "no-endbr"],
    ["sealed", "sealed"],
    ["vmlinux:kernel_no_endbr,0", "no-endbr"],
    ["vmlinux:kernel_sealed,0", "sealed"],
  ]);
  const bare = violations.find((v) => v.function === "bare");
  assert.match(bare?.takenAt ?? "", /^\.text\.user\+0x/, "the first place its address is taken");
  assert.match(describeIbtViolation(bare as (typeof violations)[number]), /does not start with ENDBR64/);
});

test("the seal list decides; a kernel whose functions are all fine leaves only the module's own faults", () => {
  const obj = readElf(readFileSync(objPath));
  for (const table of obj.sectionsByName(".ibt_endbr_seal"))
    for (const rs of obj.relocationSectionsFor(table)) rs.relocations = [];
  const fine: RunningFunctions = { entry: () => ({ endbr: true, sealed: false }) };
  assert.deepEqual(
    ibtViolations(obj, fine).map((v) => [v.function, v.problem]),
    [["bare", "no-endbr"]],
  );
});
