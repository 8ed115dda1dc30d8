// The packed tarballs, installed with npm in an empty project (see consumer-project.ts), used the
// ways a stranger uses them: ESM, CommonJS, strict TypeScript under each module resolution, tsx, and
// an app bundled into one file by esbuild.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { runAt, tool } from './tools.js';

const { app, scratch } = inject('consumer');
const execFileAsync = promisify(execFile);
const quickstart = { squares: [1, 4, 9], cubes: [1, 8, 27] };

describe('an npm project that installed the tarballs', () => {
  it('runs the quickstart as an ES module', async () => {
    expect(JSON.parse(await runAt(app, process.execPath, ['quickstart.mjs']))).toEqual(quickstart);
  });

  it('runs it from CommonJS with require()', async () => {
    expect(JSON.parse(await runAt(app, process.execPath, ['quickstart.cjs']))).toEqual(quickstart);
  });

  it.each(['node16', 'bundler', 'node10'])(
    'type-checks strict TypeScript under %s resolution (with the libraries’ own .d.ts checked)',
    async (resolution) => {
      await runAt(app, process.execPath, [
        tool('typescript/bin/tsc'),
        '-p',
        `tsconfig.${resolution}.json`,
      ]);
    },
  );

  it('runs that TypeScript with tsx', async () => {
    const out = JSON.parse(
      await runAt(app, process.execPath, [tool('tsx/dist/cli.mjs'), 'typed.ts']),
    );
    expect(out).toEqual({
      shifted: [11, 12],
      reasons: ['1', 1],
      sums: [3, 7],
      one: 15,
      wrong: [2],
      queue: 'typed',
      hashed: 'string',
      stray: 'StrayError',
    });
  });

  it.each([
    ['forks', []],
    ['threads', []],
    ['vmThreads', []],
    ['forks, with v8 coverage', ['--coverage.enabled', '--coverage.provider=v8']],
  ])('runs under the consumer’s own vitest: pool %s', async (pool, extra) => {
    const out = await runAt(app, process.execPath, [
      'node_modules/vitest/vitest.mjs',
      'run',
      `--pool=${pool.split(',')[0]}`,
      'pool.test.mjs',
      ...extra,
    ]);
    expect(stripVTControlCharacters(out)).toMatch(/Tests\s+1 passed \(1\)/);
  });

  it('links the closure-pool-worker command, which needs no build step', () => {
    const bin = join(app, 'node_modules', '.bin', 'closure-pool-worker');
    expect(existsSync(bin)).toBe(true);
    expect(readFileSync(bin, 'utf8')).toMatch(/^#!\/usr\/bin\/env node/);
  });

  it.each([
    ['CommonJS', 'cjs', 'app.cjs', []],
    [
      'ES module',
      'esm',
      'app.mjs',
      // esbuild's ESM output gives bundled CommonJS code (Piscina) no require or __dirname
      [
        "--banner:js=import { createRequire as __cpRequire } from 'node:module'; import { dirname as __cpDirname } from 'node:path'; import { fileURLToPath as __cpPath } from 'node:url'; const require = __cpRequire(import.meta.url); const __filename = __cpPath(import.meta.url); const __dirname = __cpDirname(__filename);",
      ],
    ],
  ])(
    'works bundled into one %s file by esbuild, with the standalone worker beside it',
    async (_, format, file, extra) => {
      const out = mkdtempSync(join(scratch, `bundle-${format}-`));
      // esbuild's command is its native binary
      await runAt(app, tool('esbuild/bin/esbuild'), [
        'bundled-app.mjs',
        '--bundle',
        '--platform=node',
        `--format=${format}`,
        `--outfile=${join(out, file)}`,
        '--external:@napi-rs/nice',
        '--log-level=error',
        ...extra,
      ]);
      cpSync(
        join(app, 'node_modules/@closure-pool/core/dist/closure-pool-worker.cjs'),
        join(out, 'worker.js'),
      );
      // run where there is no node_modules at all: the two files are the whole app
      const { stdout } = await execFileAsync(process.execPath, [join(out, file)], { cwd: out });
      expect(JSON.parse(stdout)).toEqual([7, 14, 21]);
    },
  );
});
