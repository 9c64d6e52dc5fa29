// SPDX-License-Identifier: GPL-2.0-only
// The Debian changelog of a kernel source package (usr/share/doc/linux-source-<series>/
// changelog.Debian.gz): what each upload between two versions says it changes. An update
// report lists these entries beside the fixes it built, so a maintainer sees the upstream
// subjects and CVE ids the newer tree carries. Versions are ordered the way dpkg orders them.

/** One change an upload lists: an upstream stable subject or a Debian change. */
export interface ChangelogItem {
  text: string;
  /** CVE ids named in the item, e.g. ["CVE-2026-53361"]. */
  cves: string[];
  /** Listed under "New upstream stable update" (a stable commit's subject). */
  upstream: boolean;
}

export interface ChangelogEntry {
  version: string;
  distribution: string;
  /** The trailer's date, e.g. "Mon, 07 Sep 2026 21:33:42 +0200". */
  date: string;
  items: ChangelogItem[];
}

const HEADER = /^(\S+) \(([^)]+)\) ([^;]+);/;
const TRAILER = /^ -- .*?> {2}(.*)$/;
const CVE = /CVE-\d{4}-\d{4,}/g;

/** Parses changelog.Debian text into its entries, newest first (the file's order). */
export function parseChangelog(text: string): ChangelogEntry[] {
  const entries: ChangelogEntry[] = [];
  let entry: ChangelogEntry | undefined;
  let item: ChangelogItem | undefined;
  let upstream = false;
  const finishItem = () => {
    if (item) {
      item.text = item.text.replace(/\s+/g, " ").trim();
      item.cves = [...new Set(item.text.match(CVE) ?? [])];
      entry?.items.push(item);
    }
    item = undefined;
  };
  for (const line of text.split("\n")) {
    const header = HEADER.exec(line);
    if (header) {
      finishItem();
      entry = { version: header[2] as string, distribution: header[3] as string, date: "", items: [] };
      entries.push(entry);
      continue;
    }
    if (!entry) continue;
    const trailer = TRAILER.exec(line);
    if (trailer) {
      finishItem();
      entry.date = trailer[1] as string;
      continue;
    }
    const star = /^ {2}\* (.*)$/.exec(line);
    const dash = /^ {4}- (.*)$/.exec(line);
    if (star) {
      finishItem();
      upstream = /^New upstream (stable )?(update|release)/i.test(star[1] as string);
      // The "New upstream stable update:" line heads the subjects; it is not a change itself.
      if (!upstream) item = { text: star[1] as string, cves: [], upstream: false };
    } else if (dash) {
      finishItem();
      item = { text: dash[1] as string, cves: [], upstream };
    } else if (/^ {2}\[/.test(line)) {
      finishItem(); // "[ Maintainer Name ]": the Debian changes that follow are not upstream's
      upstream = false;
    } else if (/^\s+https?:\/\//.test(line)) {
      finishItem(); // the stable ChangeLog URL between groups of subjects
    } else if (item && /^\s{4,}\S/.test(line)) {
      item.text += ` ${line.trim()}`;
    } else if (!line.trim()) {
      finishItem();
    }
  }
  finishItem();
  return entries;
}

/** The entries newer than `from` and not newer than `to` (dpkg's order), newest first. */
export function entriesBetween(entries: ChangelogEntry[], from: string, to: string): ChangelogEntry[] {
  return entries.filter(
    (e) => compareDebianVersions(e.version, from) > 0 && compareDebianVersions(e.version, to) <= 0,
  );
}

/** dpkg's order of one part (upstream or revision): digits numerically, `~` before anything. */
function compareParts(a: string, b: string): number {
  const order = (c: string | undefined): number => {
    if (c === undefined) return 0;
    if (c === "~") return -1;
    if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
    return c.charCodeAt(0) + 256;
  };
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !/\d/.test(a[i] as string)) || (j < b.length && !/\d/.test(b[j] as string))) {
      const ca = i < a.length && !/\d/.test(a[i] as string) ? a[i] : undefined;
      const cb = j < b.length && !/\d/.test(b[j] as string) ? b[j] : undefined;
      const diff = order(ca) - order(cb);
      if (diff !== 0) return diff;
      if (ca !== undefined) i++;
      if (cb !== undefined) j++;
    }
    const na = /^\d*/.exec(a.slice(i))?.[0] ?? "";
    const nb = /^\d*/.exec(b.slice(j))?.[0] ?? "";
    const diff = Number(na || 0) - Number(nb || 0);
    if (diff !== 0) return diff;
    i += na.length;
    j += nb.length;
  }
  return 0;
}

/** Compares two Debian versions ([epoch:]upstream[-revision]) as dpkg does: <0, 0 or >0. */
export function compareDebianVersions(a: string, b: string): number {
  const split = (v: string) => {
    const colon = v.indexOf(":");
    const epoch = colon >= 0 ? Number(v.slice(0, colon)) : 0;
    const rest = colon >= 0 ? v.slice(colon + 1) : v;
    const dash = rest.lastIndexOf("-");
    return {
      epoch,
      upstream: dash >= 0 ? rest.slice(0, dash) : rest,
      revision: dash >= 0 ? rest.slice(dash + 1) : "",
    };
  };
  const x = split(a);
  const y = split(b);
  return x.epoch - y.epoch || compareParts(x.upstream, y.upstream) || compareParts(x.revision, y.revision);
}
