// SPDX-License-Identifier: GPL-2.0-only
// The layout stage on small C fixtures (test/fixtures/layout/<case>/{orig,patched}.c)
// compiled on the spot with kernel code-generation flags and debug information (-g: gcc 12's
// DWARF 5, as the target's recipe; one case again with -gdwarf-4): each change the object
// code cannot show (a layout, an enum value, a variable's type, a prototype) is refused with
// its evidence, and the same layout under another spelling is not a change.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import {
  type DiffOptions,
  type DiffResult,
  diffObjects,
  type LayoutChange,
} from "../../../src/diff/index.ts";
import { readElf } from "../../../src/elf/index.ts";
import { hotpatch } from "../../helpers/cli.ts";
import { kernelCflags } from "../../helpers/kernel-object.ts";
import { scratchDir } from "../../helpers/scratch.ts";

const fixtures = fileURLToPath(new URL("../../fixtures/layout", import.meta.url));
const work = scratchDir("hotpatch-layout");

/** Both versions are compiled as `unit.c`, as a real rebuild of one unit. */
async function compile(name: string, which: string, debug: string[]): Promise<string> {
  const label = `${name}.${which}.${debug.join("")}`;
  const dir = join(work, label);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(fixtures, name, `${which}.c`), join(dir, "unit.c"));
  const out = join(work, `${label}.o`);
  await execa("gcc", [...kernelCflags, ...debug, "unit.c", "-o", out], { cwd: dir });
  return out;
}

async function diffCase(name: string, options: DiffOptions = {}, debug = ["-g"]): Promise<DiffResult> {
  const [a, b] = await Promise.all([compile(name, "orig", debug), compile(name, "patched", debug)]);
  return diffObjects(readElf(readFileSync(a)), readElf(readFileSync(b)), options);
}

function change(r: DiffResult, name: string): LayoutChange {
  const found = r.layoutChanges.find((c) => c.name === name);
  assert.ok(found, `a layout change for ${name} in ${JSON.stringify(r.layoutChanges.map((c) => c.name))}`);
  return found;
}

function refusal(r: DiffResult, name: string, kind = "unsafe-data") {
  const found = r.refused.find((x) => x.name === name && x.kind === kind);
  assert.ok(found, `a ${kind} refusal for ${name} in ${JSON.stringify(r.refused)}`);
  return found;
}

test("an array member sized by a #define: struct pool refused, slots 16 -> 32 bytes, owner moved", async () => {
  const r = await diffCase("define-sized-array");
  assert.equal(r.verdict, "refused");
  const c = change(r, "struct pool");
  assert.deepEqual(c.size, { old: 32, new: 48 });
  assert.deepEqual(
    c.members?.map((m) => [m.member, m.old?.offset, m.new?.offset, m.old?.size, m.new?.size]),
    [
      ["slots", 4, 4, 16, 32],
      ["owner", 24, 40, 8, 8],
    ],
  );
  const why = refusal(r, "struct pool");
  assert.match(
    why.reason,
    /size 32 -> 48; member slots: size 16 -> 32, type int\[4\] -> int\[8\]; member owner: offset 24 -> 40/,
  );
  assert.match(why.suggestion ?? "", /shadow variables/);
});

test("a typedef whose target widens (u16 -> u32): the typedef and the struct that holds it are refused", async () => {
  const r = await diffCase("typedef-widened");
  const t = change(r, "typedef access_mask_t");
  assert.equal(t.old, "u16");
  assert.equal(t.new, "u32");
  assert.match(t.summary, /u16 \(2 bytes\) -> u32 \(4 bytes\)/);
  const s = change(r, "struct rule");
  assert.deepEqual(
    s.members?.map((m) => [m.member, m.old?.offset, m.new?.offset, m.old?.size, m.new?.size]),
    [
      ["access", 0, 0, 2, 4],
      ["level", 2, 4, 2, 2],
    ],
  );
  refusal(r, "typedef access_mask_t");
  refusal(r, "struct rule");
});

test("a field added to an anonymous struct behind a typedef: refused under the typedef's name", async () => {
  const r = await diffCase("anonymous-typedef-field");
  const c = change(r, "typedef tracker_t");
  assert.equal(c.verdict, "refused");
  assert.match(
    c.summary,
    /size 8 -> 12; member flags added at offset 4 \(4 bytes\); member state: offset 4 -> 8/,
  );
});

test("struct __packed name { ... }: a widened member moves the next one to an odd offset", async () => {
  const r = await diffCase("packed-struct");
  const c = change(r, "struct wire_header");
  assert.deepEqual(c.size, { old: 7, new: 9 });
  assert.match(
    c.summary,
    /member length: size 2 -> 4, type short unsigned int -> unsigned int; member sequence: offset 3 -> 5/,
  );
});

test("an enum constant inserted before others: the shifted states are refused with their old and new values", async () => {
  const r = await diffCase("enum-inserted");
  const c = change(r, "enum conn_state");
  assert.equal(c.verdict, "refused");
  assert.deepEqual(c.constants, [
    { name: "CONN_OPEN", old: "1", new: "2" },
    { name: "CONN_CLOSING", old: "2", new: "3" },
    { name: "CONN_CLOSED", old: "3", new: "4" },
  ]);
  assert.match(refusal(r, "enum conn_state").reason, /CONN_OPEN: 1 -> 2.*stored/);
});

test("a constant added before an enum's count sentinel: a note, not a refusal", async () => {
  const r = await diffCase("enum-sentinel");
  assert.equal(r.verdict, "patchable");
  assert.deepEqual(r.refused, []);
  const c = change(r, "enum attr");
  assert.equal(c.verdict, "note");
  assert.deepEqual(c.constants, [
    { name: "__ATTR_MAX", old: "3", new: "4" },
    { name: "ATTR_MAX", old: "2", new: "3" },
  ]);
  assert.ok(
    r.notes.some((n) => /enum attr: only its count sentinel changed/.test(n)),
    r.notes.join("\n"),
  );
});

test("the sentinel pattern on a real state (JOB_DONE moved by one inserted before it) stays a refusal", async () => {
  const r = await diffCase("enum-last-state");
  assert.equal(change(r, "enum job_state").verdict, "refused");
  refusal(r, "enum job_state");
});

test("a non-static function gains a parameter: changed-interface, with both prototypes", async () => {
  const r = await diffCase("prototype-new-parameter");
  assert.equal(r.verdict, "refused");
  const c = change(r, "sock_check");
  // A callee's declaration carries its parameter types, not their names.
  assert.equal(c.old, "int sock_check(struct sock *)");
  assert.equal(c.new, "int sock_check(struct sock *, int)");
  assert.equal(c.summary, "new parameter 2 (int)");
  const why = refusal(r, "sock_check", "changed-interface");
  assert.match(why.reason, /callers outside this patch .* keep calling it the old way/);
  // The caller says every caller is in the build: a note, and the fix is patchable.
  const told = await diffCase("prototype-new-parameter", {
    interfaceCallersPatched: new Set(["sock_check"]),
  });
  assert.equal(told.verdict, "patchable");
  assert.equal(change(told, "sock_check").verdict, "note");
  assert.ok(told.notes.some((n) => /sock_check.*every caller is rebuilt in this patch/.test(n)));
});

test("a global array grows: the one defined here and the one declared from another unit are refused", async () => {
  const r = await diffCase("global-array-size");
  assert.equal(change(r, "counters").summary, "int[4] -> int[8], 16 -> 32 bytes");
  assert.equal(change(r, "limits").summary, "int[4] -> int[8], 16 -> 32 bytes");
  // counters is refused once (the object diff already saw its symbol grow), limits by this stage.
  assert.equal(r.refused.filter((x) => x.name === "counters").length, 1);
  assert.match(refusal(r, "limits").reason, /the type of limits changed/);
});

test("a static function whose address is in an ops table changes prototype: refused; a static helper only called directly is not", async () => {
  const r = await diffCase("static-prototype-address-taken");
  const why = refusal(r, "handler_read", "changed-interface");
  assert.match(why.reason, /static, but its address is taken/);
  assert.ok(!r.refused.some((x) => x.name === "helper"), JSON.stringify(r.refused));
  assert.ok(r.functionUses.orig.addressTaken.includes("handler_read"));
  assert.ok(!r.functionUses.orig.addressTaken.includes("helper"));
});

test("the same layouts spelled otherwise: renamed member, respelled dimension, typedef to the same type, renamed embedded struct, signedness, a new type", async () => {
  const r = await diffCase("same-layout-respelled");
  assert.deepEqual(r.layoutChanges, []);
  assert.deepEqual(r.refused, []);
  assert.equal(r.verdict, "patchable"); // only_new_x is a new function
  assert.ok((r.stats.debugInfo?.types ?? 0) >= 1, "struct entry was compared");
});

for (const debug of [["-g"], ["-gdwarf-4"]]) {
  test(`a bit-field that widens (${debug.join(" ")}): the next fields' bit offsets are the evidence`, async () => {
    const r = await diffCase("bitfield-widened", {}, debug);
    const c = change(r, "struct flags");
    assert.deepEqual(
      c.members?.map((m) => [m.member, m.old?.bit, m.old?.bits, m.new?.bit, m.new?.bits]),
      [
        ["kind", 0, 3, 0, 4],
        ["locked", 3, 1, 4, 1],
        ["count", 4, 12, 5, 12],
      ],
    );
    assert.match(c.summary, /member locked: offset 0\.3 \(1 bits\) -> 0\.4 \(1 bits\)/);
  });
}

test("objects without debug information: nothing compared, and a warning says so", async () => {
  const r = await diffCase("define-sized-array", {}, ["-g0"]);
  assert.equal(r.stats.debugInfo, null);
  assert.ok(r.warnings.some((w) => /neither object has debug information/.test(w)));
});

test("hotpatch diff: the refusal on stderr, --callers-patched makes it a note, --json carries the evidence", async () => {
  const [orig, patched] = await Promise.all([
    compile("prototype-new-parameter", "orig", ["-g"]),
    compile("prototype-new-parameter", "patched", ["-g"]),
  ]);
  const refused = await hotpatch(["diff", orig, patched]);
  assert.equal(refused.exitCode, 2);
  assert.match(
    refused.stdout,
    /changed-interface: sock_check: the prototype of sock_check changed \(new parameter 2 \(int\)\)/,
  );
  assert.match(refused.stderr, /sock_check: changed-interface/);
  const noted = await hotpatch(["diff", orig, patched, "--callers-patched", "sock_check"]);
  assert.equal(noted.exitCode, 0, noted.stderr);
  assert.match(noted.stdout, /notes:\n {2}the prototype of sock_check changed/);
  assert.match(
    noted.stdout,
    /debug information: \d+ types, \d+ enum constants, \d+ variables, 2 prototypes compared; 1 changed/,
  );
  const json = await hotpatch(["diff", orig, patched, "--json"]);
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.layoutChanges[0].subject, "function");
  assert.equal(doc.layoutChanges[0].refusal, "changed-interface");
  assert.deepEqual(Object.keys(doc.functionUses), ["orig", "patched"]);
  assert.equal(doc.stats.debugInfo.functions, 2);
});

test("hotpatch diff: malformed debug information is bad input naming the file and the offset", async () => {
  const orig = await compile("prototype-new-parameter", "orig", ["-g"]);
  const bytes = new Uint8Array(readFileSync(orig));
  const info = readElf(bytes).sectionByName(".debug_info");
  assert.ok(info);
  new DataView(bytes.buffer).setUint16(info.offset + 4, 1, true); // DWARF version 1
  const damaged = join(work, "damaged.o");
  writeFileSync(damaged, bytes);
  const r = await hotpatch(["diff", orig, damaged]);
  assert.equal(r.exitCode, 1);
  assert.match(
    r.stderr,
    /damaged\.o: \.debug_info: unit at 0x0 has DWARF version 1 \(2 to 5 are read\) \(at file offset 0x[0-9a-f]+\)\./,
  );
});
