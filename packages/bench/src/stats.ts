/** The summary of repeated measurements: the median with the range. */
export interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly samples: readonly number[];
}

export function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, samples };
}

/**
 * Runs each contender once per round, in turn, after `warmup` rounds: noise hits all alike. Each
 * round starts with the next contender, so that none always runs first (after a pause, or right
 * after the main-thread loop: on a shared VM, a thread that waited runs slower for a while).
 */
export async function interleave(
  contenders: Record<string, () => Promise<number>>,
  { reps, warmup, tick }: { reps: number; warmup: number; tick: () => void },
): Promise<Record<string, Stats>> {
  const samples: Record<string, number[]> = Object.fromEntries(
    Object.keys(contenders).map((name) => [name, []]),
  );
  const entries = Object.entries(contenders);
  for (let round = 0; round < warmup + reps; round++) {
    const first = round % entries.length;
    for (const [name, measure] of [...entries.slice(first), ...entries.slice(0, first)]) {
      const value = await measure();
      if (round >= warmup) samples[name]!.push(value);
    }
    if (round >= warmup) tick();
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, stats(values)]));
}

/**
 * The ratio `a / b` round by round (`interleave` measures each contender once per round, so their
 * samples line up), summarized: a slow spell of a shared machine slows both sides of a round, and
 * cancels out of its ratio, where it does not cancel out of the ratio of two medians.
 */
export function pairedRatio(a: Stats, b: Stats): Stats {
  if (a.samples.length !== b.samples.length)
    throw new Error(`pairedRatio: ${a.samples.length} samples against ${b.samples.length}`);
  return stats(a.samples.map((value, round) => value / b.samples[round]!));
}

/** Milliseconds `fn` takes. */
export async function time(fn: () => unknown): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** A measurement: µs per call of `call`, made `calls` times in a row. */
export function usPerCall(calls: number, call: () => unknown): () => Promise<number> {
  return async () =>
    ((await time(async () => {
      for (let i = 0; i < calls; i++) await call();
    })) *
      1000) /
    calls;
}
