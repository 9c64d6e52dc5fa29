// SPDX-License-Identifier: GPL-2.0-only
// Runs async work over a list with at most `jobs` items in flight (compiles, preprocessing):
// results keep the input order; the first failure stops new work and is rethrown once the
// items already running have settled (so no tool is left running behind an error).
import { availableParallelism } from "node:os";

/** The default number of parallel jobs: HOTPATCH_JOBS, else one per CPU. */
export function defaultJobs(): number {
  const fromEnv = Number.parseInt(process.env.HOTPATCH_JOBS ?? "", 10);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : Math.max(1, availableParallelism());
}

export async function mapPool<T, R>(
  items: readonly T[],
  jobs: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  if (failure) throw failure.error;
  return results;
}
