// Goals as `bench --check` reads them: met as measured, or within the stated noise margin.
import { describe, expect, it } from 'vitest';
import { goal, MARGIN } from './scenario.js';

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
