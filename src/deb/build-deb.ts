// SPDX-License-Identifier: GPL-2.0-only
// Writes a binary Debian package: the files laid out in a scratch tree with explicit modes,
// the control file with dpkg's Installed-Size estimate, md5sums, the maintainer scripts, and
// `dpkg-deb --build --root-owner-group` (every file root-owned without fakeroot). Every mtime
// is SOURCE_DATE_EPOCH when set (else the build's time), so the same inputs give the same package. The
// .deb is written beside its final name and renamed into place.
import { createHash } from "node:crypto";
import {
  chmodSync,
  lutimesSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { run } from "../util/run.ts";
import { type Control, renderControl } from "./control.ts";

export type DebEntry =
  | { kind: "file"; path: string; data: string | Uint8Array; mode?: number }
  | { kind: "symlink"; path: string; target: string };

export type MaintainerScript = "preinst" | "postinst" | "prerm" | "postrm";

export interface DebSpec {
  control: Omit<Control, "installedSize">;
  entries: DebEntry[];
  scripts?: Partial<Record<MaintainerScript, string>>;
}

export interface BuiltDeb {
  path: string;
  package: string;
  version: string;
  architecture: string;
  bytes: number;
  sha256: string;
}

/** The time every file of the package carries: SOURCE_DATE_EPOCH (reproducible builds), else now. */
export function packageEpoch(): number {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  return process.env.SOURCE_DATE_EPOCH && Number.isInteger(epoch) && epoch >= 0
    ? epoch
    : Math.floor(Date.now() / 1000);
}

/** gzip -9n: no name, no timestamp (lintian wants compressed docs; reproducible too). */
export function gzipDoc(text: string): Uint8Array {
  return gzipSync(Buffer.from(text, "utf8"), { level: 9 });
}

/** Every directory above the package's files, parents first. */
function directoriesOf(entries: DebEntry[]): string[] {
  const dirs = new Set<string>();
  for (const entry of entries) {
    for (let dir = dirname(entry.path); dir !== "." && dir !== "/"; dir = dirname(dir)) dirs.add(dir);
  }
  return [...dirs].sort();
}

/** dpkg-gencontrol's estimate: each file's size in KiB rounded up, 1 for each directory and link. */
export function installedSizeKiB(entries: DebEntry[]): number {
  const files = entries.reduce(
    (sum, e) => sum + (e.kind === "file" ? Math.max(1, Math.ceil(Buffer.byteLength(e.data) / 1024)) : 1),
    0,
  );
  return files + directoriesOf(entries).length;
}

function md5sums(entries: DebEntry[]): string {
  return entries
    .filter((e): e is Extract<DebEntry, { kind: "file" }> => e.kind === "file")
    .map((e) => `${createHash("md5").update(e.data).digest("hex")}  ${e.path}\n`)
    .sort((a, b) => (a.slice(34) < b.slice(34) ? -1 : 1))
    .join("");
}

function writeTree(tree: string, spec: DebSpec): void {
  for (const dir of directoriesOf(spec.entries)) mkdirSync(join(tree, dir), { recursive: true, mode: 0o755 });
  for (const entry of spec.entries) {
    const path = join(tree, entry.path);
    if (entry.kind === "symlink") symlinkSync(entry.target, path);
    else {
      writeFileSync(path, entry.data);
      chmodSync(path, entry.mode ?? 0o644);
    }
  }
  const control = join(tree, "DEBIAN");
  mkdirSync(control, { mode: 0o755 });
  const installedSize = installedSizeKiB(spec.entries);
  writeFileSync(join(control, "control"), renderControl({ ...spec.control, installedSize }));
  writeFileSync(join(control, "md5sums"), md5sums(spec.entries));
  for (const [name, text] of Object.entries(spec.scripts ?? {})) {
    writeFileSync(join(control, name), text);
    chmodSync(join(control, name), 0o755);
  }
  for (const dir of [...directoriesOf(spec.entries), "DEBIAN", "."]) chmodSync(join(tree, dir), 0o755);
}

/** Sets every mtime in the tree (links included) to the package's epoch. */
function stampTimes(tree: string, spec: DebSpec): void {
  const epoch = packageEpoch();
  const paths = [
    ...spec.entries.filter((e) => e.kind === "file").map((e) => e.path),
    "DEBIAN/control",
    "DEBIAN/md5sums",
    ...Object.keys(spec.scripts ?? {}).map((s) => `DEBIAN/${s}`),
    ...directoriesOf(spec.entries),
    "DEBIAN",
    ".",
  ];
  for (const path of paths) utimesSync(join(tree, path), epoch, epoch);
  for (const link of spec.entries.filter((e) => e.kind === "symlink"))
    lutimesSync(join(tree, link.path), epoch, epoch);
}

/** Builds the package into `outDir` as <package>_<version>_<arch>.deb and returns what it wrote. */
export async function buildDeb(spec: DebSpec, outDir: string): Promise<BuiltDeb> {
  const { control } = spec;
  const file = `${control.package}_${control.version.replace(/^\d+:/, "")}_${control.architecture}.deb`;
  const finalPath = join(outDir, file);
  const scratch = join(outDir, `.${file}.partial-${process.pid}-${Date.now()}`);
  try {
    mkdirSync(scratch, { recursive: true });
    const tree = join(scratch, "tree");
    mkdirSync(tree);
    writeTree(tree, spec);
    stampTimes(tree, spec);
    const built = join(scratch, file);
    await run("dpkg-deb", ["--root-owner-group", "-Zxz", "--build", tree, built], {
      env: { ...process.env, SOURCE_DATE_EPOCH: String(packageEpoch()) } as Record<string, string>,
      what: `dpkg-deb --build of ${control.package}`,
    });
    const bytes = readFileSync(built);
    renameSync(built, finalPath);
    return {
      path: finalPath,
      package: control.package,
      version: control.version,
      architecture: control.architecture,
      bytes: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
