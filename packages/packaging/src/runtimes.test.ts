// The README quickstart from the installed tarballs, on every runtime we support: the oldest Node
// the packages allow (engines), the current LTS lines, Bun and Deno. The whole suite also runs on
// each Node version in CI (.ci/run, scripts/test-matrix.mjs).
import { describe, expect, inject, it } from 'vitest';
import { installRuntimes, nodeVersions } from '../scripts/runtimes.mjs';
import { runAt } from './tools.js';

const { app } = inject('consumer');
const runtimes = installRuntimes();
const quickstart = { squares: [1, 4, 9], cubes: [1, 8, 27] };

describe.each(nodeVersions)('Node %s', (version) => {
  const node = runtimes[`node@${version}`]!;

  it('runs the quickstart as an ES module and from CommonJS', async () => {
    expect(JSON.parse(await runAt(app, node, ['quickstart.mjs']))).toEqual(quickstart);
    expect(JSON.parse(await runAt(app, node, ['quickstart.cjs']))).toEqual(quickstart);
  });
});

describe('Bun', () => {
  it('runs the quickstart', async () => {
    expect(JSON.parse(await runAt(app, runtimes.bun!, ['quickstart.mjs']))).toEqual(quickstart);
  });
});

describe('Deno', () => {
  it('runs the quickstart from the project’s node_modules', async () => {
    const out = await runAt(app, runtimes.deno!, ['run', '--allow-all', 'quickstart.mjs']);
    expect(JSON.parse(out)).toEqual(quickstart);
  });
});
