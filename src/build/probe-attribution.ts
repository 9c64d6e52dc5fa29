// SPDX-License-Identifier: GPL-2.0-only
// Which of an expansion probe's changes (src/kernel/expansion-probe.ts) a header's plan should
// follow. The probe compares one includer expanded from the pristine tree and from the fixed
// view; with one fix every difference comes from the fixed header, with a whole update from a
// hundred headers at once. Each changed definition carries the file it is written in (from
// the preprocessor's line markers), which is what tells them apart here.
import { isAbsolute } from "node:path";
import { stripComments, wordPattern } from "../kernel/c-scan.ts";
import type { ExpansionChanges } from "../kernel/expansion-probe.ts";

/**
 * The probe's changes that can come from this header's change. With several fixes applied
 * (an update changes a hundred headers) the probe unit's expansion differs wherever any of
 * them changed something, and following all those names keeps nearly every includer.
 * - A definition written in this header is kept.
 * - One written in another header the fixes touch is left to that header's own plan; that
 *   header then no longer counts as compared by the probe, so a macro of this header invoked
 *   there is followed to every includer of it, as without a probe.
 * - One written in an untouched file whose name is a word of that file needs no probe: the
 *   text search (header-users.ts) reaches it from this header's names when it uses them.
 *   What the text cannot show, a name pasted together by a macro, is kept.
 * - One written in the probe unit's own source (a `__UNIQUE_ID_` renumbered by a
 *   `__COUNTER__` use more or less in some header) concerns that unit only, which the text
 *   search keeps or drops by the macros it names.
 */
export function ownChanges(
  probe: ExpansionChanges,
  header: string,
  touched: ReadonlySet<string>,
  read: (file: string) => string,
): ExpansionChanges {
  const others = new Set([...touched].filter((path) => path !== header));
  const texts = new Map<string, string>();
  const written = (d: { name: string; file: string }) => {
    if (!texts.has(d.file)) texts.set(d.file, isAbsolute(d.file) ? "" : stripComments(read(d.file)));
    return wordPattern([d.name]).test(texts.get(d.file) as string);
  };
  const own = (d: { name: string; file: string }) =>
    d.file === header || (d.file.endsWith(".h") && !others.has(d.file) && !written(d));
  const headers = new Set(probe.headers);
  for (const n of probe.names) if (others.has(n.file)) headers.delete(n.file);
  return {
    names: probe.names.filter(own),
    definitions: probe.definitions.filter(own),
    headers,
  };
}
