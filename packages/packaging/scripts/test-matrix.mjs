// `pnpm test:matrix`: the whole test suite again on each supported Node version, installed as
// registry packages (see runtimes.mjs), after `pnpm test` built everything. Each run writes its
// own vitest JSON report, test-results-node<version>.json at the root, which .ci/run adds up.
// The packaging project is left out: it already runs the installed packages on every runtime.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { installRuntimes, nodeVersions } from './runtimes.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const vitest = fileURLToPath(new URL('node_modules/vitest/vitest.mjs', `file://${root}`));
const runtimes = installRuntimes();
let failed = false;
for (const version of nodeVersions) {
  const node = runtimes[`node@${version}`];
  process.stdout.write(`\n── the test suite on Node ${version} ──\n`);
  const run = spawnSync(
    node,
    [
      vitest,
      'run',
      '--project',
      '!packaging',
      `--outputFile.json=test-results-node${version}.json`,
    ],
    { cwd: root, stdio: 'inherit' },
  );
  failed ||= run.status !== 0;
}
process.exit(failed ? 1 : 0);
