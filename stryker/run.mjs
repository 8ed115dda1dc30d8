// `pnpm mutate [serializer|core|…]`: StrykerJS on a package's sources, with the vitest runner and
// the TypeScript checker. StrykerJS needs Node ≥ 22: it runs on the registry's Node 22 (see
// packages/packaging/scripts/runtimes.mjs), whatever Node runs this. Incremental: a later run
// re-tests only mutants whose code or tests changed since the results committed in
// stryker/incremental/<package>.json (CI runs it so); `--force` re-tests all. Reports:
// reports/mutation/<package>.html and .json; the last line is the score, file by file above it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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
if (run.status === 0) printScores(`${root}reports/mutation/${name}.json`);
process.exit(run.status ?? 1);

/** Stryker's mutation score: detected (killed, timed out) of the valid mutants, per file and in all. */
function printScores(reportFile) {
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  const count = (mutants) => {
    const by = (status) => mutants.filter((m) => m.status === status).length;
    const detected = by('Killed') + by('Timeout');
    const valid = detected + by('Survived') + by('NoCoverage');
    return { detected, valid, survived: by('Survived'), noCoverage: by('NoCoverage') };
  };
  const line = (label, { detected, valid, survived, noCoverage }) =>
    `${label}: ${valid ? ((100 * detected) / valid).toFixed(1) : '100.0'}% (${detected} of ${valid} detected; ${survived} survived, ${noCoverage} not covered)`;
  const all = [];
  for (const [file, { mutants }] of Object.entries(report.files)) {
    all.push(...mutants);
    console.log(line(`  ${file}`, count(mutants)));
  }
  console.log(line(`mutation score of ${name}`, count(all)));
}
