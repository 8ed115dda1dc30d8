import type { Stats } from './stats.js';

/** A ratio's median with its range over the rounds: `1.12× (0.98–1.30)`. */
export function spread(ratio: Stats): string {
  return `${ratio.median.toFixed(2)}× (${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)})`;
}

/** One row of a scenario's table. */
export interface Row {
  readonly contender: string;
  readonly stats: Stats;
  /** What `stats` counts, e.g. `µs/item`. */
  readonly unit: string;
  /** e.g. `1.0× of closure-pool` or `speedup 1.9×`. */
  readonly note?: string;
}

/** A goal from the issue, checked by `bench --check`. */
export interface Goal {
  readonly name: string;
  /** e.g. `≤ 1.2×`. */
  readonly target: string;
  readonly measured: number;
  /** Met as measured. */
  readonly met: boolean;
  /** Met within `MARGIN` of the limit: what `bench --check` requires. */
  readonly withinMargin: boolean;
}

export interface ScenarioResult {
  readonly title: string;
  readonly rows: Row[];
  readonly goals: Goal[];
  readonly notes?: string[];
}

export interface Context {
  readonly quick: boolean;
  readonly cores: number;
  /** Advances the progress display by one step. */
  readonly tick: () => void;
}

export interface Scenario {
  readonly id: string;
  /** How many progress steps it takes (its repetitions). */
  steps(ctx: Omit<Context, 'tick'>): number;
  run(ctx: Context): Promise<ScenarioResult>;
}

/**
 * How far past its limit `bench --check` lets a goal's median go (5% of the limit): these machines
 * are shared and noisy, and a median of a few runs moves by that much from one run to the next.
 * The report shows both, and says which goals passed only within it.
 */
export const MARGIN = 0.05;

type Comparison = '≤' | '<' | '≥' | '>';

/** A goal: `measured` compared with `limit` (a ratio when `unit` is `×`). */
export function goal(
  name: string,
  op: Comparison,
  limit: number,
  measured: number,
  unit: string,
): Goal {
  const meets = (bound: number) =>
    op === '≤'
      ? measured <= bound
      : op === '<'
        ? measured < bound
        : op === '≥'
          ? measured >= bound
          : measured > bound;
  const atMost = op === '≤' || op === '<';
  return {
    name,
    target: `${op} ${limit}${unit === '×' ? '×' : ` ${unit}`}`,
    measured,
    met: meets(limit),
    withinMargin: meets(atMost ? limit * (1 + MARGIN) : limit * (1 - MARGIN)),
  };
}
