// The README quickstart from the installed tarballs, on every runtime we support: the oldest Node
// the packages allow (engines), the current LTS lines, Bun and Deno. The whole suite also runs on
// each Node version in CI (.ci/run, scripts/test-matrix.mjs).
import { describe, expect, inject, it } from 'vitest';
import { installRuntimes, nodeVersions } from '../scripts/runtimes.mjs';
import { runAt } from './tools.js';

const { app } = inject('consumer');
const runtimes = installRuntimes();
const quickstart = { squares: [1, 4, 9], cubes: [1, 8, 27] };
const features = {
  mapped: [9, { x: 5 }],
  settled: ['fulfilled', 'rejected', 'fulfilled'],
  reason: 'RangeError',
  sums: [4, 6],
  moved: [9, 9, 9, 9],
  counts: 4,
};

describe.each(nodeVersions)('Node %s', (version) => {
  const node = runtimes[`node@${version}`]!;

  it('runs the quickstart as an ES module and from CommonJS, and the less common paths', async () => {
    expect(JSON.parse(await runAt(app, node, ['quickstart.mjs']))).toEqual(quickstart);
    expect(JSON.parse(await runAt(app, node, ['quickstart.cjs']))).toEqual(quickstart);
    expect(JSON.parse(await runAt(app, node, ['features.mjs']))).toEqual(features);
  });
});

describe('Bun', () => {
  it('runs the quickstart and the less common paths', async () => {
    expect(JSON.parse(await runAt(app, runtimes.bun!, ['quickstart.mjs']))).toEqual(quickstart);
    expect(JSON.parse(await runAt(app, runtimes.bun!, ['features.mjs']))).toEqual(features);
  });
});

describe('Deno', () => {
  it('runs the quickstart and the less common paths from the project’s node_modules', async () => {
    const out = await runAt(app, runtimes.deno!, ['run', '--allow-all', 'quickstart.mjs']);
    expect(JSON.parse(out)).toEqual(quickstart);
    const more = await runAt(app, runtimes.deno!, ['run', '--allow-all', 'features.mjs']);
    expect(JSON.parse(more)).toEqual(features);
  });
});
