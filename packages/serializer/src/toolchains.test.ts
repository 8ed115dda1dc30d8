import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deserializeClosure } from './decode.js';
import { serializeClosure } from './encode.js';
import { triple } from './fixtures/imported-helper.js';

// Each toolchain's output runs in its own node process, which prints the payloads of the
// fixture's closures; this process (vitest) rebuilds and calls them, as a worker would.
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/toolchain-fixture.ts', import.meta.url));
const tmp = `${packageDir}tmp/toolchains`;
const require = createRequire(import.meta.url);

function runNode(args: string[]): Record<string, unknown> {
  return JSON.parse(execFileSync(process.execPath, args, { cwd: packageDir, encoding: 'utf8' }));
}

function tsc(target: string): Record<string, unknown> {
  const outDir = `${tmp}/tsc-${target}`;
  execFileSync(process.execPath, [
    require.resolve('typescript/bin/tsc'),
    ...[
      '--target',
      target,
      '--module',
      'ESNext',
      '--moduleResolution',
      'Bundler',
      '--noCheck',
      '--downlevelIteration',
    ],
    ...['--lib', 'ES2022', '--rootDir', `${packageDir}src/fixtures`, '--outDir', outDir, fixture],
  ]);
  return runNode([`${outDir}/toolchain-fixture.js`]);
}

const toolchains: [
  string,
  () => Promise<Record<string, unknown>> | Record<string, unknown>,
  RegExp | undefined,
][] = [
  ['plain node (tsc ESNext, types stripped only)', () => tsc('ESNext'), undefined],
  ['tsc for ES2017', () => tsc('ES2017'), /__rest/],
  ['tsc for ES2015', () => tsc('ES2015'), /__awaiter/],
  ['tsc for ES5', () => tsc('ES5'), /__generator/],
  ['tsx', () => runNode(['--import', 'tsx', fixture]), /y2/],
  [
    'esbuild (bundle, keepNames, minified whitespace and syntax)',
    async () => {
      const outfile = `${tmp}/esbuild/fixture.mjs`;
      await build({
        entryPoints: [fixture],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'es2017',
        keepNames: true,
        minifyWhitespace: true,
        minifySyntax: true,
        external: ['@closure-pool/serializer'],
        logLevel: 'silent',
      });
      return runNode([outfile]);
    },
    /__name/,
  ],
];

beforeAll(() => mkdirSync(tmp, { recursive: true }));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.each(toolchains)('closures compiled by %s', (_, compile, marker) => {
  let fns: Record<string, Function>;
  let failure: unknown;
  beforeEach(() => {
    if (failure) throw failure; // a failing hook would only skip the tests
  });
  beforeAll(async () => {
    try {
      await load();
    } catch (error) {
      failure = error;
    }
  }, 60_000);
  async function load() {
    const payloads = await compile();
    if (marker) expect(JSON.stringify(payloads)).toMatch(marker); // the toolchain really rewrote the code
    fns = Object.fromEntries(
      await Promise.all(
        Object.entries(payloads).map(
          async ([name, p]) => [name, await deserializeClosure(p)] as const,
        ),
      ),
    );
  }

  it('a factory closure', () => expect(fns.power!(5)).toBe(25));
  it('an async arrow calling a captured helper', async () =>
    expect(await fns.asyncArrow!(1)).toBe(6));
  it('a function with nested named functions', () => expect(fns.nestedNamed!(2)).toBe(7));
  it('object rest and spread', () =>
    expect(fns.restSpread!({ a: 2, b: 1 })).toEqual({ b: 1, a: 6 }));
  it('a generator', () => expect([...fns.generator!(3)]).toEqual([0, 3, 6]));
  it('a captured class', () => expect(fns.classes!(2)).toBe(5));
});

describe('closures written in a vitest test file', () => {
  it('a captured named import works, though vitest renamed it in the source', async () => {
    const fn = (x: number) => triple(x) + 1;
    expect(fn.toString()).toMatch(/__vite_ssr_import_\d+__\.triple/);
    const rebuilt = (await deserializeClosure(
      JSON.parse(JSON.stringify(serializeClosure(fn, { triple }))),
    )) as typeof fn;
    expect(rebuilt(2)).toBe(7);
  });
});
