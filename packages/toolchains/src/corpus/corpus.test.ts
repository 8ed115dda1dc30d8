// The corpus run by vitest itself (with v8 or istanbul coverage on): matrix.test.ts starts it
// and reads the outcomes from the file it names.
import { writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { cases } from './cases.js';
import { runCorpus } from './run.js';

it('runs the corpus', async () => {
  // istanbul really put its counters into the functions that travel
  if (process.env.CORPUS_COVERAGE === 'istanbul')
    expect(String(cases[0]!.run)).toMatch(/cov_\w+\(\)/);
  const outcomes = await runCorpus();
  expect(Object.keys(outcomes).length).toBeGreaterThan(0);
  writeFileSync(process.env.CORPUS_OUT!, JSON.stringify(outcomes));
}, 120_000);
