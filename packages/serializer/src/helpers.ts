// [both] Helpers that compilers put into a function's file, which the worker supplies when the
// capture does not: the caller checks a name is one, the worker hands the function its value.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tslib from 'tslib';
import { ErrorCode, PayloadError } from './errors.js';
import { esbuildHelpers } from './esbuild-helpers.js';
import { nodeRequire as load } from './node-require.js';

/**
 * Always at hand: tsc's `__awaiter`, `__generator`, `__rest`… (identical to tslib's) and esbuild's
 * `__name`, `__publicField`, `__async`… (tsx runs esbuild).
 */
const builtIn: Readonly<Record<string, unknown>> = Object.freeze({
  ...Object.fromEntries(Object.entries(tslib).filter(([name]) => name.startsWith('__'))),
  ...esbuildHelpers,
});

/**
 * Babel's and SWC's helpers, which they write into each file as `_classCallCheck`,
 * `_async_to_generator`…: the same functions their runtime packages export, loaded from
 * `@babel/runtime` and `@swc/helpers` (optional peer dependencies) when a function names one.
 */
const runtimes = [
  {
    pkg: '@babel/runtime',
    // helpers/asyncToGenerator.js → `_asyncToGenerator`
    names: (dir: string) =>
      readdirSync(join(dir, 'helpers'))
        .filter((f) => f.endsWith('.js'))
        .map((f) => `_${f.slice(0, -3)}`),
    load: (name: string) => load(`@babel/runtime/helpers/${name.slice(1)}`),
  },
  {
    pkg: '@swc/helpers',
    // cjs/_async_to_generator.cjs → `_async_to_generator`
    names: (dir: string) =>
      readdirSync(join(dir, 'cjs'))
        .filter((f) => f.endsWith('.cjs'))
        .map((f) => f.slice(0, -4)),
    load: (name: string) => load(`@swc/helpers/_/${name}`),
  },
];

let runtimeNames: Map<string, (typeof runtimes)[number]> | undefined;
const notInstalled: string[] = [];

function runtimeHelpers(): Map<string, (typeof runtimes)[number]> {
  if (runtimeNames) return runtimeNames;
  runtimeNames = new Map();
  for (const runtime of runtimes) {
    let dir: string;
    try {
      dir = dirname(load.resolve(`${runtime.pkg}/package.json`));
    } catch {
      notInstalled.push(runtime.pkg); // its helpers are missing captures, with a hint to install it
      continue;
    }
    for (const name of runtime.names(dir))
      if (!runtimeNames.has(name)) runtimeNames.set(name, runtime);
  }
  return runtimeNames;
}

/** istanbul's coverage counters (`cov_1x2y3z().s[0]++`): counted where the code runs in place. */
const coverageCounter = /^cov_\w+$/;
const counters = (() => {
  const count = new Proxy({}, { get: () => 0, set: () => true });
  const branches = new Proxy({}, { get: () => count, set: () => true });
  const record = Object.freeze({ s: count, f: count, b: branches, bT: branches });
  return () => record;
})();

/** Whether the worker supplies `name` when the capture does not. */
export function isToolchainHelper(name: string): boolean {
  return Object.hasOwn(builtIn, name) || coverageCounter.test(name) || runtimeHelpers().has(name);
}

/** Babel's and SWC's runtime packages that are not installed here: named when a helper is missing. */
export function missingHelperPackages(): readonly string[] {
  runtimeHelpers();
  return notInstalled;
}

/** The value of helper `name` in this thread. */
export function toolchainHelper(name: string): unknown {
  if (Object.hasOwn(builtIn, name)) return builtIn[name];
  if (coverageCounter.test(name)) return counters;
  const runtime = runtimeHelpers().get(name);
  let value: any;
  try {
    const exported = runtime ? runtime.load(name) : undefined;
    value = typeof exported === 'function' ? exported : (exported?.[name] ?? exported?._);
  } catch (error) {
    value = undefined;
    if (runtime) throw missingRuntime(name, runtime.pkg, error);
  }
  if (typeof value !== 'function')
    throw new PayloadError(
      `Invalid closure payload: ${name} is not a compiler helper this worker knows.`,
      {
        field: 'helpers',
      },
    );
  return value;
}

function missingRuntime(name: string, pkg: string, cause: unknown): PayloadError {
  return new PayloadError(
    `The worker cannot load ${name} from ${pkg}, where compiler helpers come from: install ${pkg} where closure-pool is installed.`,
    { field: 'helpers', cause, code: ErrorCode.PAYLOAD_INVALID },
  );
}
