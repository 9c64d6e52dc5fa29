// SPDX-License-Identifier: GPL-2.0-only
// Unpacking a target's packages: .deb files (dpkg-deb), the kernel source tarball inside
// linux-source (deleted once unpacked, to keep the cache small) and the uncompressed kernel
// image (the tree's own scripts/extract-vmlinux on the target's vmlinuz).
import { appendFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { MissingToolError, UserError } from "../errors/user-error.ts";
import { startGuarded } from "../util/reaper.ts";
import { run } from "../util/run.ts";

export async function extractDeb(deb: string, dir: string, logFile: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await run("dpkg-deb", ["-x", deb, dir], { logFile, what: `unpacking ${deb}` });
}

/**
 * Unpacks linux-source-<series>'s tarball into `treeDir` (its top directory stripped), using a
 * scratch directory for the .deb's contents that is removed afterwards. With `changelogTo`, the
 * package's changelog.Debian.gz is kept there (an update lists the entries between versions).
 */
export async function extractSourceTree(
  sourceDeb: string,
  treeDir: string,
  scratch: string,
  logFile: string,
  changelogTo?: string,
): Promise<void> {
  await extractDeb(sourceDeb, scratch, logFile);
  const srcDir = join(scratch, "usr", "src");
  const tarball = readdirSync(srcDir).find((name) => /^linux-source-.*\.tar\.(xz|gz|bz2|zst)$/.test(name));
  if (!tarball) throw new UserError(`${sourceDeb} holds no linux-source tarball in usr/src.`);
  mkdirSync(treeDir, { recursive: true });
  // The Debian tarball is multi-block xz: two threads unpack it about twice as fast.
  const decompress = tarball.endsWith(".xz") ? ["--use-compress-program=xz -T2"] : [];
  await run(
    "tar",
    ["-x", ...decompress, "-f", join(srcDir, tarball), "-C", treeDir, "--strip-components=1"],
    {
      logFile,
      what: `unpacking ${tarball}`,
    },
  );
  if (changelogTo) {
    const docDir = join(scratch, "usr", "share", "doc");
    const doc = existsSync(docDir)
      ? readdirSync(docDir).find((d) => d.startsWith("linux-source"))
      : undefined;
    const changelog = doc ? join(docDir, doc, "changelog.Debian.gz") : "";
    if (!doc || !existsSync(changelog)) throw new UserError(`${sourceDeb} holds no changelog.Debian.gz.`);
    renameSync(changelog, changelogTo);
  }
  rmSync(scratch, { recursive: true, force: true });
}

/**
 * The files linux-source-<series>'s tarball holds (paths below its top directory; directories
 * left out): what is source in a tree that kbuild has since filled with its outputs.
 */
export async function listSourceTarball(
  sourceDeb: string,
  scratch: string,
  logFile: string,
): Promise<string[]> {
  await extractDeb(sourceDeb, scratch, logFile);
  try {
    const srcDir = join(scratch, "usr", "src");
    const tarball = readdirSync(srcDir).find((name) => /^linux-source-.*\.tar\.(xz|gz|bz2|zst)$/.test(name));
    if (!tarball) throw new UserError(`${sourceDeb} holds no linux-source tarball in usr/src.`);
    const decompress = tarball.endsWith(".xz") ? ["--use-compress-program=xz -T2"] : [];
    const listing = await run("tar", ["-t", ...decompress, "-f", join(srcDir, tarball)], {
      what: `listing ${tarball}`,
    });
    return listing
      .split("\n")
      .filter((line) => line && !line.endsWith("/"))
      .map((line) => line.slice(line.indexOf("/") + 1));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Writes the uncompressed kernel inside `vmlinuz` to `out` with the tree's extract-vmlinux. */
export async function extractVmlinux(
  tree: string,
  vmlinuz: string,
  out: string,
  logFile: string,
): Promise<void> {
  const script = join(tree, "scripts", "extract-vmlinux");
  appendFileSync(logFile, `\n$ ${script} ${vmlinuz} > ${out}\n`);
  const { child, unguard } = startGuarded(
    () =>
      execa(script, [vmlinuz], {
        reject: false,
        stdin: "ignore",
        stdout: { file: out },
        stderr: ["pipe", { file: logFile, append: true }],
        detached: true, // a shell script running decompressors: killed as a group (reaper.ts)
      }),
    { group: true },
  );
  const result = await child.finally(unguard);
  if ((result as { code?: string }).code === "ENOENT") throw new MissingToolError(script, "linux-source");
  if (result.exitCode !== 0 || !existsSync(out) || statSync(out).size < 1024 * 1024) {
    throw new UserError(
      `extract-vmlinux found no kernel image in ${vmlinuz} (full log: ${logFile}).`,
      result.stderr ? String(result.stderr).split("\n").slice(-10) : [],
    );
  }
}
