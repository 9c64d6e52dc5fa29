// SPDX-License-Identifier: GPL-2.0-only
// Provenance on a live system: the fixes a module records (hotpatch_fix), what a cumulative
// patch would drop, the refusal of `hotpatch load` and `install` (and --allow-drop), the boot
// replay of `load --all`, and how `list` knows the fixes of loaded patches (load record, or
// the installed copy with the loaded module's build ID). Real loads are tested in the VM.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { UserError } from "../../../src/errors/user-error.ts";
import { bootPlan } from "../../../src/runtime/boot-plan.ts";
import { readModuleFile } from "../../../src/runtime/module-file.ts";
import {
  describeDropped,
  droppedFixes,
  type FixRecord,
  parseFixEntries,
} from "../../../src/runtime/provenance.ts";
import { readRecord } from "../../../src/runtime/records.ts";
import { readStatus } from "../../../src/runtime/status.ts";
import { installPatch, listInstalled, type StoreEntry } from "../../../src/runtime/store.ts";
import { hotpatch } from "../../helpers/cli.ts";
import { scratchDir } from "../../helpers/scratch.ts";
import { fakeKo, fixEntry, RELEASE, VERMAGIC } from "./fake-ko.ts";
import { FakeSystem } from "./fake-system.ts";

const fix = (name: string): FixRecord => {
  const [, value] = fixEntry(name).split("=");
  return { fix: name, sha256: (value ?? "").split(" ")[0] ?? "" };
};

function livepatch(name: string, fixes: string[], replace: boolean | undefined, buildId = false): string {
  return fakeKo(name, {
    modinfo: [VERMAGIC, "livepatch=Y", `name=${name}`, ...fixes.map(fixEntry)],
    replace,
    buildId,
  });
}

test("a module's hotpatch_fix entries and build ID are read from the file; a malformed entry is refused", () => {
  const ko = livepatch("lp_fixes", ["01-a.patch", "04 with spaces.patch"], true, true);
  const module = readModuleFile(ko);
  assert.deepEqual(module.fixes, [fix("01-a.patch"), fix("04 with spaces.patch")]);
  assert.match(module.buildId ?? "", /^[0-9a-f]{40}$/);
  assert.equal(readModuleFile(livepatch("lp_none", [], true)).fixes, null);
  assert.equal(readModuleFile(livepatch("lp_none", [], true)).buildId, null);
  assert.equal(parseFixEntries(undefined, "x.ko"), null);
  assert.throws(
    () => parseFixEntries(["abc 01-a.patch"], "x.ko"),
    (e: unknown) =>
      e instanceof UserError &&
      e.message ===
        `x.ko has a malformed hotpatch_fix modinfo entry "abc 01-a.patch" (expected '<sha256> <fix file name>').`,
  );
});

test("fixes are matched by name; a patch whose fixes are unknown is dropped whole", () => {
  const dropped = droppedFixes(
    [
      { patch: "hp_01", fixes: [fix("01.patch")] },
      { patch: "hp_0102", fixes: [fix("01.patch"), { fix: "02.patch", sha256: "0".repeat(64) }] },
      { patch: "hp_other", fixes: null },
    ],
    [fix("01.patch"), fix("02.patch")], // 02 revised: another sha256, the same fix
  );
  assert.deepEqual(dropped, [{ patch: "hp_other", fixes: null }]);
  assert.deepEqual(droppedFixes([{ patch: "hp_01", fixes: [fix("01.patch")] }], null), [
    { patch: "hp_01", fixes: [fix("01.patch")] },
  ]);
  assert.equal(
    describeDropped([
      { patch: "hp_01", fixes: [fix("01.patch"), fix("03.patch")] },
      { patch: "hp_x", fixes: null },
    ]),
    "fixes 01.patch, 03.patch of loaded patch hp_01; whatever loaded patch hp_x fixes (its module records no fixes)",
  );
});

function entry(
  name: string,
  replace: StoreEntry["replace"],
  fixes: string[] | null,
  extra: Partial<StoreEntry> = {},
): StoreEntry {
  return {
    name,
    replace,
    fixes: fixes?.map(fix) ?? null,
    complete: true,
    allowDrop: false,
    ...extra,
  } as StoreEntry;
}

const actions = (entries: StoreEntry[], allowDrop = false) =>
  bootPlan(entries, allowDrop).map((s) =>
    s.action === "superseded"
      ? `${s.entry.name}:superseded by ${s.by}`
      : s.action === "refused"
        ? `${s.entry.name}:refused (${s.dropped.map((d) => `${d.patch}:${d.fixes?.map((f) => f.fix) ?? "?"}`)})`
        : `${s.entry.name}:${s.action}`,
  );

test("load --all replays the installs: a cumulative patch supersedes what it carries, and only that", () => {
  assert.deepEqual(actions([]), []);
  // The newest replace-mode patch that carries everything before it is where loading starts.
  assert.deepEqual(
    actions([
      entry("a", "replace", ["01"]),
      entry("b", "stack", ["02"]),
      entry("c", "replace", ["01", "02", "03"]),
      entry("d", "stack", ["04"]),
    ]),
    ["a:superseded by c", "b:superseded by c", "c:load", "d:load"],
  );
  // A single-fix replace patch after another fix's patch would drop it: refused, the first stays.
  assert.deepEqual(actions([entry("hp_01", "replace", ["01"]), entry("hp_04", "replace", ["04"])]), [
    "hp_01:load",
    "hp_04:refused (hp_01:01)",
  ]);
  // Installed with --allow-drop (or `load --all --allow-drop`): it supersedes.
  assert.deepEqual(
    actions([entry("hp_01", "replace", ["01"]), entry("hp_04", "replace", ["04"], { allowDrop: true })]),
    ["hp_01:superseded by hp_04", "hp_04:load"],
  );
  assert.deepEqual(actions([entry("hp_01", "replace", ["01"]), entry("hp_04", "replace", ["04"])], true), [
    "hp_01:superseded by hp_04",
    "hp_04:load",
  ]);
  // A drop allowed earlier stays allowed: what c replaces is b alone.
  assert.deepEqual(
    actions([
      entry("a", "replace", ["01"]),
      entry("b", "replace", ["04"], { allowDrop: true }),
      entry("c", "replace", ["04", "05"]),
    ]),
    ["a:superseded by b", "b:superseded by c", "c:load"],
  );
  // Unknown fixes (a module that records none) cannot be shown to be carried.
  assert.deepEqual(actions([entry("old", "stack", null), entry("new", "replace", ["01"])]), [
    "old:load",
    "new:refused (old:?)",
  ]);
  // Incomplete entries are never loaded; an unknown replace mode is loaded in turn.
  assert.deepEqual(
    actions([
      entry("a", "stack", ["01"]),
      entry("b", "replace", ["01", "02"], { complete: false }),
      entry("c", "unknown", ["03"]),
    ]),
    ["a:load", "b:incomplete", "c:load"],
  );
});

test("install refuses a cumulative patch that would drop an installed fix at boot; --allow-drop records it", () => {
  const sys = new FakeSystem();
  installPatch(sys.env, livepatch("hp_01", ["01.patch"], true));
  const hp04 = livepatch("hp_04", ["04.patch"], true);
  assert.throws(
    () => installPatch(sys.env, hp04),
    (e: unknown) =>
      e instanceof UserError &&
      e.message ===
        "Installing hp_04 would drop at boot fix 01.patch of installed patch hp_01: it replaces the patches installed before it and does not carry it; nothing was installed (install a patch that carries it too, or give --allow-drop).",
  );
  assert.deepEqual(
    listInstalled(sys.env, RELEASE).map((e) => e.name),
    ["hp_01"],
  );
  const allowed = installPatch(sys.env, hp04, { allowDrop: true });
  assert.deepEqual(allowed.dropped, [{ patch: "hp_01", fixes: [fix("01.patch")] }]);
  const stored = listInstalled(sys.env, RELEASE);
  assert.deepEqual(
    stored.map((e) => [e.name, e.allowDrop, e.fixes?.map((f) => f.fix)]),
    [
      ["hp_01", false, ["01.patch"]],
      ["hp_04", true, ["04.patch"]],
    ],
  );
  // A cumulative patch carrying both needs nothing more.
  const both = installPatch(sys.env, livepatch("hp_0104", ["01.patch", "04.patch"], true));
  assert.deepEqual(both.dropped, []);
  assert.equal(both.allowDrop, false);
});

/** A fake loaded patch with hotpatch's load record. */
function loadedWithRecord(sys: FakeSystem, name: string, fixes: FixRecord[] | null, buildId?: string): void {
  sys.addPatch({ name, objects: { vmlinux: { patched: true, functions: ["unix_ioctl,1"] } } });
  sys.addRecord({
    name,
    path: `/tmp/${name}.ko`,
    replace: "replace",
    forced: false,
    loadedAt: "2026-01-01T00:00:00.000Z",
    fixes,
    ...(buildId ? { buildId } : {}),
  });
}

test("load refuses, in one sentence naming the fix and its patch, a replace patch that would drop it; nothing changes", async () => {
  const sys = new FakeSystem();
  loadedWithRecord(sys, "hp_01_af_unix", [fix("01-af_unix-siocatmark-nonstream.patch")]);
  const ko = livepatch("hp_04_fib_trie", ["04-fib-trie-insert-err-kfree-rcu.patch"], true);
  const result = await hotpatch(["load", ko], { env: sys.cliEnv() });
  assert.equal(result.exitCode, 1);
  assert.equal(result.stdout, "");
  assert.equal(
    result.stderr,
    "hotpatch: Loading hp_04_fib_trie would drop fix 01-af_unix-siocatmark-nonstream.patch of loaded patch hp_01_af_unix: it replaces every loaded patch and does not carry it; nothing was loaded (load a cumulative patch that carries it too, or give --allow-drop).",
  );
  assert.equal(readRecord(sys.env, "hp_04_fib_trie"), null, "no record: nothing was loaded");
  // A module whose fixes are unknown cannot be replaced silently either.
  const other = new FakeSystem();
  other.addPatch({ name: "kpatch_x", objects: { vmlinux: { patched: true, functions: ["f,1"] } } });
  const unknown = await hotpatch(["load", ko], { env: other.cliEnv() });
  assert.equal(unknown.exitCode, 1);
  assert.match(
    unknown.stderr,
    /would drop whatever loaded patch kpatch_x fixes \(its module records no fixes\)/,
  );
  // A patch whose replace mode cannot be read may replace: the same check, said so.
  const maybe = fakeKo("hp_maybe", { modinfo: [VERMAGIC, "livepatch=Y", "name=hp_maybe"] });
  const maybeResult = await hotpatch(["load", maybe], { env: sys.cliEnv() });
  assert.match(maybeResult.stderr, /it may replace every loaded patch \(its replace mode is unknown\)/);
});

/** The bytes of the module's .note.gnu.build-id, as /sys/module/NAME/notes/ shows them. */
function buildIdNote(ko: string): Uint8Array {
  const out = join(scratchDir("note"), "note.bin");
  execFileSync("objcopy", ["-O", "binary", "--only-section=.note.gnu.build-id", ko, out]);
  return readFileSync(out);
}

test("list knows a loaded patch's fixes from its load record, or from the installed copy with its build ID", async () => {
  const sys = new FakeSystem();
  // Loaded by hotpatch: the record says.
  loadedWithRecord(sys, "hp_a", [fix("a.patch")]);
  // Loaded by plain insmod from the installed file: the build ID ties it to the store entry.
  const b = livepatch("hp_b", ["a.patch", "b.patch"], true, true);
  installPatch(sys.env, b);
  sys.addPatch({ name: "hp_b", objects: { vmlinux: { patched: true, functions: ["f,1"] } } });
  sys.setBuildIdNote("hp_b", buildIdNote(b));
  // Loaded by plain insmod from another file of an installed name: not the installed copy.
  const c = livepatch("hp_c", ["c.patch"], false, true);
  installPatch(sys.env, c);
  sys.addPatch({ name: "hp_c", objects: { vmlinux: { patched: true, functions: ["g,1"] } } });
  sys.setBuildIdNote("hp_c", buildIdNote(livepatch("hp_c", ["c2.patch"], false, true)));
  // A record left from a module since replaced by another file (another build ID) is stale.
  loadedWithRecord(sys, "hp_d", [fix("d.patch")], "00".repeat(20));
  sys.setBuildIdNote("hp_d", buildIdNote(livepatch("hp_d", ["d.patch"], false, true)));
  const status = readStatus(sys.env);
  assert.deepEqual(
    status.patches.map((p) => [p.name, p.fixes?.map((f) => f.fix) ?? null]),
    [
      ["hp_a", ["a.patch"]],
      ["hp_b", ["a.patch", "b.patch"]],
      ["hp_c", null],
      ["hp_d", null],
    ],
  );
  const json = JSON.parse((await hotpatch(["list", "--json"], { env: sys.cliEnv() })).stdout);
  assert.deepEqual(json.patches[0].fixes, [fix("a.patch")]);
  const text = (await hotpatch(["list"], { env: sys.cliEnv() })).stdout;
  assert.match(text, /hp_b .*a\.patch, b\.patch/);
  assert.match(text, /hp_c .*unknown/);
  const detail = (await hotpatch(["status", "hp_b"], { env: sys.cliEnv() })).stdout;
  assert.match(detail, new RegExp(`fix a\\.patch \\(sha256 ${fix("a.patch").sha256}\\)`));
});
