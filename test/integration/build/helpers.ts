// SPDX-License-Identifier: GPL-2.0-only
// Shared steps of the build integration tests: compile a C check helper statically (the guest
// runs the host's files), build a fix with the CLI, verify a module with the CLI.
import assert from "node:assert/strict";
import { basename, isAbsolute, join } from "node:path";
import { execa } from "execa";
import { corpusDir, hotpatch, repoRoot } from "../../helpers/cli.ts";

export const TARGET = "debian:6.1.0-50-amd64";
export const fixesDir = new URL("./fixes/", import.meta.url).pathname;
export const checksDir = new URL("./checks/", import.meta.url).pathname;
export { corpusDir };
/** The bundled fix's behaviour check (the one `hotpatch demo` runs), shared rather than copied. */
export const SIOCATMARK_CHECK = join(repoRoot, "fixes", "checks", "af_unix-siocatmark.c");

/** Compiles a check (a name in ./checks, or an absolute path) into outDir. */
export async function compileCheck(source: string, outDir: string): Promise<string> {
  const out = join(outDir, basename(source).replace(/\.c$/, ""));
  await execa("gcc", ["-static", "-O2", "-o", out, isAbsolute(source) ? source : join(checksDir, source)]);
  return out;
}

/** A self-signed RSA key (PEM) and certificate (DER), as module signing and the RSA check use. */
export async function makeKeyPair(commonName: string, keyPem: string, certDer: string): Promise<void> {
  const x509 = ["-x509", "-subj", `/CN=${commonName}/`, "-days", "3650", "-outform", "DER"];
  await execa("openssl", [
    ...["req", "-new", "-nodes", "-utf8", "-sha256", "-batch", ...x509],
    ...["-out", certDer, "-keyout", keyPem, "-newkey", "rsa:2048"],
  ]);
}

export interface BuildJson {
  module: string;
  name: string;
  objects: string[];
  functions: Array<{ name: string; object: string; status: string; reasons: string[]; sympos?: number }>;
  ignored: Array<{ unit: string; name: string; reason: string }>;
  kernelReferences: Array<{ kind: string; name: string; objName?: string; sympos?: number }>;
  klpRelocationSections: Array<{ name: string; relocations: number }>;
  warnings: string[];
}

export async function buildFix(fix: string, out: string, extra: string[] = []): Promise<BuildJson> {
  const r = await hotpatch(["build", "--target", TARGET, fix, "-o", out, "--json", ...extra]);
  assert.equal(r.exitCode, 0, `build of ${fix} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as BuildJson;
}

export interface VerifyJson {
  ok: boolean;
  patch: string;
  steps: Array<{ step: string; ok: boolean; ms: number; detail: string }>;
  checkOutput: string;
  failure?: string;
}

export async function verify(
  ko: string,
  check: string,
): Promise<{ exitCode: number; report: VerifyJson; stderr: string }> {
  const r = await hotpatch(["verify", "--target", TARGET, ko, "--check", check, "--json"]);
  return { exitCode: r.exitCode, report: JSON.parse(r.stdout) as VerifyJson, stderr: r.stderr };
}

/** Verifies and asserts every step passed. */
export async function verifyOk(ko: string, check: string): Promise<VerifyJson> {
  const { exitCode, report, stderr } = await verify(ko, check);
  assert.equal(exitCode, 0, `verify failed: ${report.failure}\n${stderr}`);
  assert.deepEqual(
    report.steps.map((s) => [s.step, s.ok]),
    [
      ["load", true],
      ["transition", true],
      ["check", true],
      ["disable", true],
      ["unload", true],
    ],
  );
  return report;
}

/** Builds a fix expected to be refused: exit 2 and the refusal lines on stderr. */
export async function buildRefused(fix: string, out: string): Promise<string> {
  const r = await hotpatch(["build", "--target", TARGET, fix, "-o", out]);
  assert.equal(r.exitCode, 2, `expected a refusal (exit 2), got ${r.exitCode}:\n${r.stderr}`);
  return r.stderr;
}

/** A guest check that passes when the kernel log shows no warning, BUG or oops. */
export const CLEAN_DMESG = "! dmesg | grep -E 'WARNING:|BUG:|Oops|general protection'";
