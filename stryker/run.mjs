// `pnpm mutate [serializer|core|…]`: StrykerJS on a package's sources, with the vitest runner and
// the TypeScript checker. StrykerJS needs Node ≥ 22: it runs on the registry's Node 22 (see
// packages/packaging/scripts/runtimes.mjs), whatever Node runs this. Incremental: a later run
// re-tests only mutants whose code or tests changed (reports/mutation/<package>-incremental.json);
// `--force` re-tests all. Reports: reports/mutation/<package>.html and .json.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installRuntimes } from '../packages/packaging/scripts/runtimes.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const [name = 'serializer', ...rest] = process.argv.slice(2);
const config = `stryker/${name}.config.json`;
if (!existsSync(`${root}${config}`)) {
  console.error(`No Stryker config for '${name}': expected ${config}.`);
  process.exit(2);
}
const node = installRuntimes()['node@22'];
const run = spawnSync(
  node,
  [`${root}node_modules/@stryker-mutator/core/bin/stryker.js`, 'run', config, ...rest],
  {
    cwd: root,
    stdio: 'inherit',
    // the test runner's child processes and tools find this Node first
    env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}` },
  },
);
process.exit(run.status ?? 1);
