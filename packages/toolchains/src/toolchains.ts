// Each toolchain, run for real on the corpus (src/corpus): compile it as the tool's users do, run
// the output with node, and read back the corpus's outcomes.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Outcome } from './corpus/run.js';

const execFileAsync = promisify(execFile);
const require = createRequire(import.meta.url);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const corpusDir = join(packageDir, 'src/corpus');
/** Inside the package, so that the outputs resolve `@closure-pool/core` as any consumer does. */
export const outRoot = join(packageDir, 'tmp');

export type Outcomes = Record<string, Outcome>;

export interface Toolchain {
  readonly name: string;
  /**
   * Refusals this tool's output earns by what it does (minified names, syntax lowered for an old
   * target), matched on the message; any other refusal of a case meant to work is a failure.
   */
  readonly accepts?: RegExp;
  /** Compiles the corpus and runs it; the outcomes by feature. */
  readonly run: () => Promise<Outcomes>;
}

const sources = () => readdirSync(corpusDir).filter((f) => /^(?!.*\.test\.)\w+\.ts$/.test(f));

async function node(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await execFileAsync(process.execPath, args, {
      cwd: packageDir,
      env: { ...process.env, ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`node ${args.join(' ')} failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

/** A fresh output directory; `commonjs` marks it so node reads its .js files as CommonJS. */
function outDir(name: string, type: 'module' | 'commonjs'): string {
  const dir = join(outRoot, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type }));
  return dir;
}

const runOutput = async (dir: string, main = 'main.js') =>
  JSON.parse(await node([join(dir, main)])) as Outcomes;

/** #private lowered to WeakMaps, before ES2022. */
const lowersPrivate = /#private/;
/** Lowered for ES5: async functions, generators, rest and templates moved out of functions. */
const lowersToEs5 = /old target|#private/;

function tsc(target: string, module: 'esm' | 'cjs'): Toolchain {
  return {
    name: `tsc ${target} ${module === 'esm' ? 'ESM' : 'CommonJS'}`,
    ...(target === 'ES2022' ? {} : { accepts: lowersPrivate }),
    run: async () => {
      const dir = outDir(`tsc-${target}-${module}`, module === 'esm' ? 'module' : 'commonjs');
      await node([
        require.resolve('typescript/bin/tsc'),
        ...['--target', target, '--lib', 'ES2022,DOM', '--types', 'node', '--noCheck'],
        ...(module === 'esm'
          ? ['--module', 'ES2022', '--moduleResolution', 'Bundler']
          : ['--module', 'CommonJS', '--moduleResolution', 'Node10', '--esModuleInterop']),
        ...['--rootDir', corpusDir, '--outDir', dir],
        ...sources().map((f) => join(corpusDir, f)),
      ]);
      return runOutput(dir);
    },
  };
}

function esbuild(
  name: string,
  options: { minify?: boolean; keepNames?: boolean; target: string; format: 'esm' | 'cjs' },
): Toolchain {
  return {
    name,
    ...(options.minify ? { accepts: /minified/ } : {}),
    run: async () => {
      const { build } = await import('esbuild');
      const dir = outDir(`esbuild-${basename(name).replace(/\W+/g, '-')}`, 'module');
      const outfile = join(dir, options.format === 'esm' ? 'main.js' : 'main.cjs');
      await build({
        entryPoints: [join(corpusDir, 'main.ts')],
        outfile,
        bundle: true,
        platform: 'node',
        format: options.format,
        target: options.target,
        minify: options.minify ?? false,
        keepNames: options.keepNames ?? false,
        external: ['@closure-pool/core'],
        logLevel: 'silent',
      });
      return runOutput(dir, basename(outfile));
    },
  };
}

function babel(name: string, targets: string, modules: 'commonjs' | false): Toolchain {
  return {
    name,
    ...(targets === 'defaults' ? {} : { accepts: lowersToEs5 }),
    run: async () => {
      const { transformFileAsync } = await import('@babel/core');
      const dir = outDir(`babel-${modules || 'esm'}`, modules ? 'commonjs' : 'module');
      for (const file of sources()) {
        const result = await transformFileAsync(join(corpusDir, file), {
          babelrc: false,
          configFile: false,
          presets: [
            [require.resolve('@babel/preset-env'), { targets, modules }],
            require.resolve('@babel/preset-typescript'),
          ],
        });
        writeFileSync(join(dir, file.replace(/\.ts$/, '.js')), result!.code!);
      }
      return runOutput(dir);
    },
  };
}

function swc(target: string, module: 'es6' | 'commonjs'): Toolchain {
  return {
    name: `SWC ${target} ${module === 'es6' ? 'ESM' : 'CommonJS'}`,
    accepts: target === 'es5' ? lowersToEs5 : lowersPrivate,
    run: async () => {
      const { transformFile } = await import('@swc/core');
      const dir = outDir(`swc-${target}-${module}`, module === 'es6' ? 'module' : 'commonjs');
      for (const file of sources()) {
        const result = await transformFile(join(corpusDir, file), {
          swcrc: false,
          jsc: { target: target as 'es5', parser: { syntax: 'typescript', decorators: false } },
          module: { type: module },
        });
        writeFileSync(join(dir, file.replace(/\.ts$/, '.js')), result.code);
      }
      return runOutput(dir);
    },
  };
}

function vitest(provider: 'v8' | 'istanbul'): Toolchain {
  return {
    name: `vitest, ${provider} coverage`,
    run: async () => {
      const dir = outDir(`vitest-${provider}`, 'module');
      cpSync(corpusDir, join(dir, 'corpus'), { recursive: true });
      const config = join(dir, 'vitest.config.mjs');
      writeFileSync(config, "export default { test: { include: ['corpus/*.test.ts'] } };\n");
      const out = join(dir, 'outcomes.json');
      await node(
        [
          join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs'),
          'run',
          ...['--root', dir, '--config', config],
          ...['--coverage.enabled', `--coverage.provider=${provider}`],
          ...['--coverage.reportsDirectory', join(dir, 'coverage')],
          ...['--coverage.include', 'corpus/**', '--coverage.reporter', 'json-summary'],
        ],
        { CORPUS_OUT: out, CORPUS_COVERAGE: provider },
      );
      const summary = JSON.parse(readFileSync(join(dir, 'coverage/coverage-summary.json'), 'utf8'));
      if (!(summary.total.statements.covered > 0))
        throw new Error(
          `vitest's ${provider} coverage counted nothing: ${JSON.stringify(summary.total)}`,
        );
      return JSON.parse(readFileSync(out, 'utf8')) as Outcomes;
    },
  };
}

export const toolchains: Toolchain[] = [
  {
    name: 'tsx',
    run: async () =>
      JSON.parse(await node(['--import', 'tsx', join(corpusDir, 'main.ts')])) as Outcomes,
  },
  ...['ES2015', 'ES2017', 'ES2020', 'ES2022'].flatMap((target) => [
    tsc(target, 'esm'),
    tsc(target, 'cjs'),
  ]),
  esbuild('esbuild bundle', { target: 'esnext', format: 'esm' }),
  esbuild('esbuild bundle ES2022, --keep-names', {
    target: 'es2022',
    format: 'esm',
    keepNames: true,
  }),
  esbuild('esbuild minified ES2017', { target: 'es2017', format: 'esm', minify: true }),
  esbuild('esbuild minified ES2017 keepNames CJS', {
    target: 'es2017',
    format: 'cjs',
    minify: true,
    keepNames: true,
  }),
  babel('babel preset-env (defaults)', 'defaults', false),
  babel('babel preset-env (IE 11) CommonJS', 'ie 11', 'commonjs'),
  swc('es2017', 'es6'),
  swc('es5', 'commonjs'),
  vitest('v8'),
  vitest('istanbul'),
];
