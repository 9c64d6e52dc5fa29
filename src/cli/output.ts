// SPDX-License-Identifier: GPL-2.0-only
// One code path prints for people and for machines: a command builds a result object, then
// either prints it as JSON (stdout, one document) or renders it as text.

export interface OutputOptions {
  json?: boolean;
}

export function emit<T>(options: OutputOptions, result: T, render: (result: T) => string): void {
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result, bigintReplacer, 2)}\n`);
  } else {
    const text = render(result);
    if (text) process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  }
}

/** JSON has no bigint: 64-bit values are written as numbers when exact, else as decimal strings. */
function bigintReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  return value;
}
