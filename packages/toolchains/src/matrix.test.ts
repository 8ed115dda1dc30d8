import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cases } from './corpus/cases.js';
import { type Outcomes, outRoot, toolchains } from './toolchains.js';

// A refusal must say how to fix it: each of closure-pool's refusals names the fix like one of these.
const namesAFix = /Fix:|instead|moduleRef\(|registerClass\(|capture\(|closure\(|compile for/i;

const matrix = new Map<string, Outcomes>();

afterAll(() => {
  writeFileSync(join(outRoot, 'matrix.json'), JSON.stringify(Object.fromEntries(matrix), null, 1));
  // tool × feature at a glance, for whoever reads the test output
  const mark = { ok: 'ok', refused: 'refused', broken: 'BROKEN' } as const;
  const lines = cases.map(({ feature }) =>
    [
      feature,
      ...toolchains.map((t) =>
        matrix.get(t.name)?.[feature] ? mark[matrix.get(t.name)![feature]!.outcome] : '—',
      ),
    ].join(' | '),
  );
  const header = ['feature', ...toolchains.map((t) => t.name)].join(' | ');
  console.log(
    `Toolchain matrix (ok: same result in the worker as in place; refused: at the call site, with the fix)\n${header}\n${lines.join('\n')}`,
  );
});

describe.each(toolchains)('closures compiled by $name', (toolchain) => {
  let outcomes: Outcomes;
  let failure: unknown;
  beforeAll(async () => {
    try {
      outcomes = await toolchain.run();
      matrix.set(toolchain.name, outcomes);
    } catch (error) {
      failure = error; // each case fails with it: a failing hook would only skip them
    }
  }, 240_000);

  it.each(cases)('$feature', ({ feature, refused }) => {
    if (failure) throw failure;
    const { outcome, detail } = outcomes[feature] ?? { outcome: 'missing' };
    if (refused) {
      expect(outcome, detail).toBe('refused');
      // minified code has lost the user's words: the tool's reason stands in for them
      if (!toolchain.accepts?.test(detail!)) expect(detail).toMatch(refused);
    } else if (!(outcome === 'refused' && toolchain.accepts?.test(detail!))) {
      expect(outcome, detail).toBe('ok');
    }
    if (outcome === 'refused') expect(detail).toMatch(namesAFix);
  });
});
