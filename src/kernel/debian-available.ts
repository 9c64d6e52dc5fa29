// SPDX-License-Identifier: GPL-2.0-only
// The Debian 12 kernels apt knows, for `hotpatch target list --available`: both families
// (6.1.0-N-amd64 and the 6.12.X+deb12-amd64 backports) in the flavours hotpatch prepares
// (amd64, cloud-amd64), each with its version and whether the archive still has the
// linux-source of exactly that version (without it the kernel cannot be prepared: older 6.12
// ABIs such as 6.12.100 predate the first linux-source-6.12 upload).
import { execa } from "execa";
import { MissingToolError } from "../errors/user-error.ts";
import { parseStanzas, seriesOf } from "./debian-packages.ts";

export interface AvailableKernel {
  /** e.g. "debian:6.12.107+deb12-cloud-amd64". */
  target: string;
  release: string;
  /** "6.1" or "6.12". */
  series: string;
  flavour: "amd64" | "cloud-amd64";
  /** The image's candidate version, e.g. "6.12.107-1~deb12u1". */
  version: string;
  /** linux-source-<series> of exactly that version is in apt's lists. */
  preparable: boolean;
}

/** Debian 12's two families, amd64 and cloud-amd64 flavours (not -rt: see debian-packages.ts). */
const IMAGE = /^linux-image-((?:6\.1\.0-\d+|6\.12\.\d+\+deb12)-(amd64|cloud-amd64))$/;

async function aptCache(args: string[]): Promise<string> {
  const result = await execa("apt-cache", args, { reject: false, stdin: "ignore" });
  if ((result as { code?: string }).code === "ENOENT") throw new MissingToolError("apt-cache", "apt");
  return result.stdout ?? "";
}

/** `apt-cache madison` lines `name | version | origin` -> versions per package. */
export function parseMadison(text: string): Map<string, Set<string>> {
  const versions = new Map<string, Set<string>>();
  for (const line of text.split("\n")) {
    const [name, version] = line.split("|").map((field) => field.trim());
    if (!name || !version) continue;
    versions.set(name, (versions.get(name) ?? new Set()).add(version));
  }
  return versions;
}

/** Orders releases by series, then ABI number, then flavour (6.1.0-9 before 6.1.0-10). */
function byRelease(a: AvailableKernel, b: AvailableKernel): number {
  const key = (k: AvailableKernel) => k.release.match(/\d+/g)?.map(Number) ?? [];
  const [ka, kb] = [key(a), key(b)];
  for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
    const d = (ka[i] ?? 0) - (kb[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.flavour.localeCompare(b.flavour);
}

/** The kernels of both families that apt's package lists know, oldest first. */
export async function availableKernels(): Promise<AvailableKernel[]> {
  const names = (await aptCache(["search", "--names-only", "^linux-image-6\\.(1\\.0|12\\.[0-9]+\\+deb12)-"]))
    .split("\n")
    .map((line) => line.split(" - ")[0]?.trim() ?? "")
    .filter((name) => IMAGE.test(name));
  if (names.length === 0) return [];
  const stanzas = parseStanzas(await aptCache(["show", "--no-all-versions", ...names]));
  const sources = parseMadison(await aptCache(["madison", "linux-source-6.1", "linux-source-6.12"]));
  const kernels: AvailableKernel[] = [];
  for (const stanza of stanzas) {
    const m = IMAGE.exec(stanza.get("Package") ?? "");
    const version = stanza.get("Version");
    if (!m || !version) continue;
    const series = seriesOf(version);
    kernels.push({
      target: `debian:${m[1]}`,
      release: m[1] as string,
      series,
      flavour: m[2] as AvailableKernel["flavour"],
      version,
      preparable: sources.get(`linux-source-${series}`)?.has(version) ?? false,
    });
  }
  return kernels.sort(byRelease);
}
