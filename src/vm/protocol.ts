// SPDX-License-Identifier: GPL-2.0-only
// The guest's command channel (ttyS1) carries the command's output and, framed by a per-run
// nonce, the guest init's own reports: `\x1eHP-<nonce>:<kind>:<value>\n`. This file splits
// the two without ever passing a partial mark on as output, and reads the kernel console for
// panics and oopses.

export type GuestReport =
  | { kind: "ready" }
  | { kind: "exit"; code: number }
  | { kind: "insmod-failed"; index: number };

export function markPrefix(nonce: string): string {
  return `\x1eHP-${nonce}:`;
}

/** Splits the channel's text into command output and reports. Feed it chunks as they come. */
export class ChannelDemux {
  private pending = "";
  private readonly prefix: string;

  constructor(
    nonce: string,
    private readonly onOutput: (text: string) => void,
    private readonly onReport: (report: GuestReport) => void,
  ) {
    this.prefix = markPrefix(nonce);
  }

  push(text: string): void {
    this.pending += text;
    for (;;) {
      const at = this.pending.indexOf(this.prefix);
      if (at < 0) break;
      const end = this.pending.indexOf("\n", at);
      if (end < 0) {
        // A mark has started but not ended: pass on what precedes it, keep the rest.
        this.emit(this.pending.slice(0, at));
        this.pending = this.pending.slice(at);
        return;
      }
      this.emit(this.pending.slice(0, at));
      const report = parseReport(this.pending.slice(at + this.prefix.length, end));
      this.pending = this.pending.slice(end + 1);
      if (report) this.onReport(report);
    }
    // Hold back a tail that could be the beginning of a mark split across chunks.
    const keep = partialPrefixLength(this.pending, this.prefix);
    this.emit(this.pending.slice(0, this.pending.length - keep));
    this.pending = this.pending.slice(this.pending.length - keep);
  }

  /** At the end of the stream: whatever is held back was output after all. */
  flush(): void {
    this.emit(this.pending);
    this.pending = "";
  }

  private emit(text: string): void {
    if (text) this.onOutput(text);
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of `prefix`. */
export function partialPrefixLength(text: string, prefix: string): number {
  for (let n = Math.min(prefix.length - 1, text.length); n > 0; n--) {
    if (text.endsWith(prefix.slice(0, n))) return n;
  }
  return 0;
}

function parseReport(body: string): GuestReport | undefined {
  const [kind, value = ""] = body.split(":", 2);
  const number = Number.parseInt(value, 10);
  if (kind === "ready") return { kind: "ready" };
  if (kind === "exit" && Number.isFinite(number)) return { kind: "exit", code: number };
  if (kind === "insmod-failed" && Number.isFinite(number)) return { kind: "insmod-failed", index: number };
  return undefined;
}

export type ConsoleTrouble = { kind: "panic" | "oops" | "init-failed"; line: string };

const PANIC = /Kernel panic - not syncing/;
const OOPS = /\b(BUG: |Oops: |kernel BUG at |general protection fault|Unable to handle kernel)/;

/** The first sign of trouble on the console: init's own failure, an oops or BUG, a panic. */
export function findTrouble(console: string, initFailurePrefix: string): ConsoleTrouble | undefined {
  const lines = console.replace(/\r/g, "").split("\n");
  const initFailure = lines.find((line) => line.startsWith(initFailurePrefix));
  if (initFailure) return { kind: "init-failed", line: initFailure.slice(initFailurePrefix.length).trim() };
  // An oops comes before the panic it causes (the guest runs with oops=panic): name the oops.
  const oops = lines.find((line) => OOPS.test(line));
  if (oops) return { kind: "oops", line: oops.trim() };
  const panic = lines.find((line) => PANIC.test(line));
  if (panic) return { kind: "panic", line: panic.trim() };
  return undefined;
}

/** The console's last lines, for error reports. */
export function lastLines(text: string, count = 30): string[] {
  return text.replace(/\r/g, "").trimEnd().split("\n").slice(-count);
}
