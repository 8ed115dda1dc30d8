import type { Stats } from './stats.js';

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
  readonly target: string;
  readonly measured: number;
  readonly met: boolean;
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

export const goal = (name: string, target: string, measured: number, met: boolean): Goal => ({
  name,
  target,
  measured,
  met,
});
