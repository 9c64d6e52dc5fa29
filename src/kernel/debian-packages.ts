// SPDX-License-Identifier: GPL-2.0-only
// Which Debian packages make up one kernel target, found with apt-cache: the image of the ABI
// name, and the headers, headers-common, kbuild and source packages of exactly its version
// (linux-source must be the very source the image was built from, e.g. 6.1.176-1).
import { basename } from "node:path";
import { execa } from "execa";
import { MissingToolError, UserError } from "../errors/user-error.ts";
import { note } from "../util/progress.ts";
import { run } from "../util/run.ts";

/** One binary package of the target, as apt's package lists describe it. */
export interface DebianPackage {
  /** e.g. "linux-source-6.1". */
  name: string;
  /** Debian version, e.g. "6.1.176-1". */
  version: string;
  architecture: string;
  /** File name in the archive's pool, e.g. "linux-source-6.1_6.1.176-1_all.deb". */
  file: string;
  /** Download size in bytes. */
  size: number;
  sha256: string;
}

/** Every package a Debian kernel target is prepared from, all of one version. */
export interface KernelPackageSet {
  release: string;
  /** The Debian version shared by all packages, e.g. "6.1.176-1". */
  version: string;
  /** The kernel series, e.g. "6.1" (names linux-source-6.1 and linux-kbuild-6.1). */
  series: string;
  image: DebianPackage;
  headers: DebianPackage;
  headersCommon: DebianPackage;
  /** linux-kbuild-<series> of the same version; absent when the archive no longer has it (it
   * is superseded by newer uploads, unlike linux-source). The tree builds its own host tools,
   * so only the record of it is lost. */
  kbuild?: DebianPackage;
  source: DebianPackage;
}

export function kernelPackageList(set: KernelPackageSet): DebianPackage[] {
  // image, headers and source first: prepare reads their .deb paths by position.
  return [set.image, set.headers, set.source, set.headersCommon, ...(set.kbuild ? [set.kbuild] : [])];
}

type Stanza = Map<string, string>;

/** Parses `apt-cache show` output (RFC 822 stanzas, blank-line separated). */
export function parseStanzas(text: string): Stanza[] {
  const stanzas: Stanza[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields: Stanza = new Map();
    let last = "";
    for (const line of block.split("\n")) {
      if (/^\s/.test(line) && last) fields.set(last, `${fields.get(last)}\n${line.trim()}`);
      else {
        const colon = line.indexOf(":");
        if (colon <= 0) continue;
        last = line.slice(0, colon);
        fields.set(last, line.slice(colon + 1).trim());
      }
    }
    if (fields.has("Package")) stanzas.push(fields);
  }
  return stanzas;
}

function toPackage(stanza: Stanza): DebianPackage {
  const field = (key: string): string => {
    const value = stanza.get(key);
    if (value === undefined) throw new Error(`apt-cache show gave no ${key} for ${stanza.get("Package")}`);
    return value;
  };
  return {
    name: field("Package"),
    version: field("Version"),
    architecture: field("Architecture"),
    file: basename(field("Filename")),
    size: Number.parseInt(field("Size"), 10),
    sha256: stanza.get("SHA256") ?? "",
  };
}

/**
 * `apt-cache show` of several packages (each optionally `=version`) in one call (each call
 * loads apt's whole cache, about a second): the stanzas found, keyed by package name.
 */
async function showPackages(specs: string[]): Promise<Map<string, Stanza>> {
  const result = await execa("apt-cache", ["show", "--no-all-versions", ...specs], {
    reject: false,
    stdin: "ignore",
  });
  if ((result as { code?: string }).code === "ENOENT") throw new MissingToolError("apt-cache", "apt");
  const found = new Map<string, Stanza>();
  for (const stanza of parseStanzas(result.stdout ?? "")) {
    const name = stanza.get("Package");
    if (name && !found.has(name)) found.set(name, stanza);
  }
  return found;
}

/** The package names a Depends field lists, without version constraints or alternatives. */
export function dependedNames(depends: string): string[] {
  return depends
    .split(",")
    .map((part) => (part.split("|")[0] ?? "").trim().split(/[\s(]/)[0] ?? "")
    .filter(Boolean);
}

/** "6.1.176-1" -> "6.1". */
export function seriesOf(version: string): string {
  const match = /^(?:\d+:)?(\d+\.\d+)/.exec(version);
  if (!match?.[1]) throw new Error(`cannot read a kernel series from version ${version}`);
  return match[1];
}

/** The image's candidate version decides; every other package must have exactly that version. */
async function findAll(release: string): Promise<KernelPackageSet | string> {
  const imageName = `linux-image-${release}`;
  const headersName = `linux-headers-${release}`;
  const first = await showPackages([imageName, headersName]);
  const imageStanza = first.get(imageName);
  if (!imageStanza) return imageName;
  const image = toPackage(imageStanza);
  const version = image.version;
  let headersStanza = first.get(headersName);
  if (headersStanza?.get("Version") !== version) {
    headersStanza = (await showPackages([`${headersName}=${version}`])).get(headersName);
  }
  if (!headersStanza) return `${headersName}=${version}`;
  const headers = toPackage(headersStanza);
  const deps = dependedNames(headersStanza.get("Depends") ?? "");
  const series = seriesOf(version);
  const commonName =
    deps.find((d) => /^linux-headers-.*-common(-rt)?$/.test(d)) ??
    `linux-headers-${release.replace(/-[^-]+$/, "")}-common`;
  const kbuildName = deps.find((d) => d.startsWith("linux-kbuild-")) ?? `linux-kbuild-${series}`;
  // linux-source is named by the series alone (linux-source-6.1, linux-source-6.12), while
  // 6.12's kbuild is named by the ABI (linux-kbuild-6.12.107+deb12).
  const sourceName = `linux-source-${series}`;
  const rest = await showPackages([commonName, kbuildName, sourceName].map((name) => `${name}=${version}`));
  const pick = (name: string): DebianPackage | undefined => {
    const stanza = rest.get(name);
    return stanza?.get("Version") === version ? toPackage(stanza) : undefined;
  };
  const headersCommon = pick(commonName);
  if (!headersCommon) return `${commonName}=${version}`;
  const kbuild = pick(kbuildName);
  const source = pick(sourceName);
  if (!source) return `${sourceName}=${version}`;
  return { release, version, series, image, headers, headersCommon, kbuild, source };
}

/** Refreshes apt's package lists (apt-get update), a network failure told in one sentence. */
async function refreshAptLists(missing: string, logFile: string): Promise<void> {
  note(`  ${missing} is not in apt's package lists: running apt-get update`);
  await run("apt-get", ["update"], {
    logFile,
    what: "apt-get update (refreshing Debian's package lists)",
  }).catch((error: unknown) => {
    throw explainAptFailure(error, "apt-get update");
  });
}

/**
 * One package of exactly `version` (e.g. linux-source-6.1=6.1.187-1), refreshing apt's lists
 * once when they lack it; a package still missing afterwards is the user's error.
 */
export async function findPackage(name: string, version: string, logFile: string): Promise<DebianPackage> {
  const spec = `${name}=${version}`;
  const lookUp = async () => {
    const stanza = (await showPackages([spec])).get(name);
    return stanza?.get("Version") === version ? toPackage(stanza) : undefined;
  };
  let found = await lookUp();
  if (!found) {
    await refreshAptLists(spec, logFile);
    found = await lookUp();
  }
  if (!found)
    throw new UserError(
      `apt knows no package ${spec} (see 'apt-cache policy ${name}' for the versions it knows).`,
    );
  return found;
}

/**
 * Finds the packages of kernel `release`. apt's lists are refreshed (apt-get update) only when
 * a package is missing from them; a package still missing afterwards is the user's error.
 */
export async function findKernelPackages(release: string, logFile: string): Promise<KernelPackageSet> {
  if (/-rt-/.test(release)) {
    // linux-source carries Debian's patches for the standard featureset only: a tree built from
    // it would not be the -rt kernel (its vermagic says preempt_rt).
    throw new UserError(
      `Kernel ${release} cannot be prepared: Debian's linux-source lacks the PREEMPT_RT patch set of the -rt flavour.`,
    );
  }
  let found = await findAll(release);
  if (typeof found === "string") {
    await refreshAptLists(found, logFile);
    found = await findAll(release);
  }
  if (typeof found === "string") {
    if (found === `linux-image-${release}`) {
      throw new UserError(
        `Debian has no kernel named ${release}: apt knows no package ${found} (see 'apt-cache search --names-only ^linux-image-' for the kernels it knows).`,
      );
    }
    throw new UserError(
      `Kernel ${release} cannot be prepared: apt knows no package ${found}, which must have exactly the image's version.`,
    );
  }
  return found;
}

/** Turns an apt failure whose log shows a network problem into the sentence a user needs. */
export function explainAptFailure(error: unknown, what: string): unknown {
  if (!(error instanceof UserError)) return error;
  const text = error.details.join("\n");
  if (
    /Temporary failure resolving|Could not resolve|Could not connect|Network is unreachable|Connection timed out|Failed to fetch|Unable to connect/i.test(
      text,
    )
  ) {
    return new UserError(
      `${what} could not reach the Debian archive: check the network connection and apt's sources.`,
      error.details,
    );
  }
  return error;
}
