// Goals as `bench --check` reads them: met as measured, or within the stated noise margin.
import { describe, expect, it } from 'vitest';
import { goal, MARGIN } from './scenario.js';
import { pairedRatio, stats } from './stats.js';

describe('goal', () => {
  it.each([
    ['≤', 1.2, 1.2, true, true],
    ['≤', 1.2, 1.2 * (1 + MARGIN), false, true],
    ['≤', 1.2, 1.2 * (1 + MARGIN) + 0.01, false, false],
    ['<', 1, 1, false, true],
    ['≥', 0.95, 0.95, true, true],
    ['≥', 0.95, 0.95 * (1 - MARGIN), false, true],
    ['≥', 0.95, 0.95 * (1 - MARGIN) - 0.01, false, false],
    ['>', 30, 30, false, true],
  ] as const)(
    '%s %d, measured %d: met %s, within the margin %s',
    (op, limit, measured, met, within) => {
      const g = goal('g', op, limit, measured, '×');
      expect([g.met, g.withinMargin]).toEqual([met, within]);
    },
  );

  it('states its target with its unit', () => {
    expect(goal('g', '≤', 1.2, 1, '×').target).toBe('≤ 1.2×');
    expect(goal('g', '≤', 0.35, 1, 'µs').target).toBe('≤ 0.35 µs');
    expect(goal('g', '≥', 30, 1, '×').target).toBe('≥ 30×');
  });
});

describe('pairedRatio', () => {
  it('is the median of the ratios round by round, where a slow spell cancels out', () => {
    // round 3 is a slow spell for both: the ratio of medians says 1.5, the rounds say 2
    const ours = stats([2, 2, 20, 2, 20]);
    const peer = stats([1, 1, 10, 1, 10]);
    expect(ours.median / peer.median).toBe(2);
    const r = pairedRatio(ours, peer);
    expect([r.median, r.min, r.max]).toEqual([2, 2, 2]);
    const noisy = pairedRatio(stats([3, 2, 30, 2, 20]), stats([1, 1, 10, 2, 10]));
    expect([noisy.median, noisy.min, noisy.max]).toEqual([2, 1, 3]);
  });

  it('refuses samples that do not line up', () => {
    expect(() => pairedRatio(stats([1, 2]), stats([1]))).toThrow(/2 samples against 1/);
  });
});
