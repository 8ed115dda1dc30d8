// The pool's and a call's options on their own: each default, each refusal in its exact words, and
// the nearest known name for a misspelt one (semantics.test and pool.test check them through a pool).
import { availableParallelism } from 'node:os';
import { SHARE_ENV } from 'node:worker_threads';
import { DEFAULT_CACHE_BYTES } from '@closure-pool/serializer';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import {
  callOptionNames,
  checkCallOptions,
  nearestOption,
  poolOptionNames,
  resolvePoolOptions,
} from './options.js';

/** The message of the InvalidArgumentError `f` throws (and fails the test if it throws none). */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return (error as Error).message;
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('pool options', () => {
  it('the defaults', () => {
    expect(resolvePoolOptions()).toEqual({
      threads: availableParallelism(),
      idleTimeout: 30_000,
      resourceLimits: undefined,
      maxQueue: Number.POSITIVE_INFINITY,
      cacheBytes: DEFAULT_CACHE_BYTES,
      loadTimeout: 60_000,
      maxTasksPerThread: Number.POSITIVE_INFINITY,
      env: undefined,
      execArgv: undefined,
      argv: undefined,
    });
  });

  it('what is given is kept', () => {
    const given = {
      threads: 3,
      idleTimeout: 0,
      resourceLimits: { maxOldGenerationSizeMb: 64 },
      maxQueue: 1,
      cacheBytes: 0,
      loadTimeout: Number.POSITIVE_INFINITY,
      maxTasksPerThread: 1,
      env: { A: 'b' },
      execArgv: ['--no-warnings'],
      argv: [],
    };
    expect(resolvePoolOptions(given)).toEqual(given);
    expect(resolvePoolOptions({ env: SHARE_ENV }).env).toBe(SHARE_ENV);
    expect(resolvePoolOptions({ maxQueue: Number.POSITIVE_INFINITY }).maxQueue).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it.each([
    [null, 'Expected the pool options to be an object, got null (object).'],
    [5, 'Expected the pool options to be an object, got 5 (number).'],
    [{ threads: 0 }, 'Expected `threads` to be an integer from 1 and up, got `0` (number).'],
    [{ threads: 1.5 }, 'Expected `threads` to be an integer from 1 and up, got `1.5` (number).'],
    [{ threads: '2' }, 'Expected `threads` to be an integer from 1 and up, got `2` (string).'],
    [
      { threads: Number.POSITIVE_INFINITY },
      'Expected `threads` to be an integer from 1 and up, got `Infinity` (number).',
    ],
    [
      { maxQueue: 0 },
      'Expected `maxQueue` to be an integer from 1 and up or `Infinity`, got `0` (number).',
    ],
    [
      { maxTasksPerThread: Number.NaN },
      'Expected `maxTasksPerThread` to be an integer from 1 and up or `Infinity`, got `NaN` (number).',
    ],
    [
      { idleTimeout: -1 },
      'Expected `idleTimeout` to be a number of milliseconds from 0 up, got `-1` (number).',
    ],
    [
      { idleTimeout: Number.NaN },
      'Expected `idleTimeout` to be a number of milliseconds from 0 up, got `NaN` (number).',
    ],
    [
      { idleTimeout: '5' },
      'Expected `idleTimeout` to be a number of milliseconds from 0 up, got `5` (string).',
    ],
    [
      { cacheBytes: -1 },
      'Expected `cacheBytes` to be a number of bytes from 0 up, got `-1` (number).',
    ],
    [
      { cacheBytes: '1' },
      'Expected `cacheBytes` to be a number of bytes from 0 up, got `1` (string).',
    ],
    [
      { loadTimeout: 0 },
      'Expected `loadTimeout` to be a number of milliseconds above 0 (or Infinity), got `0` (number).',
    ],
    [
      { loadTimeout: '1' },
      'Expected `loadTimeout` to be a number of milliseconds above 0 (or Infinity), got `1` (string).',
    ],
    [
      { env: null },
      'Expected `env` to be an object of strings (or SHARE_ENV from node:worker_threads).',
    ],
    [
      { env: 'A=b' },
      'Expected `env` to be an object of strings (or SHARE_ENV from node:worker_threads).',
    ],
    [
      { env: { A: 1 } },
      'Expected `env` to be an object of strings (or SHARE_ENV from node:worker_threads).',
    ],
    [{ execArgv: '--x' }, 'Expected `execArgv` to be an array of strings.'],
    [{ argv: [1] }, 'Expected `argv` to be an array of strings.'],
    [
      { thread: 2 },
      'Unknown pool option `thread`: did you mean `threads`? The pool options are `init`, `threads`, `idleTimeout`, `resourceLimits`, `maxQueue`, `cacheBytes`, `loadTimeout`, `maxTasksPerThread`, `env`, `execArgv`, `argv`, `workerFile`, `executor`.',
    ],
  ])('%o is refused', (options, message) => {
    expect(refusal(() => resolvePoolOptions(options as never))).toBe(message);
  });
});

describe('call options', () => {
  it('nothing, or each option right, passes', () => {
    expect(() => checkCallOptions()).not.toThrow();
    expect(() =>
      checkCallOptions({
        chunkSize: 1,
        timeout: 0.5,
        signal: new AbortController().signal,
        onProgress: () => {},
        settle: true,
      }),
    ).not.toThrow();
  });

  it.each([
    [null, 'Expected the call options to be an object, got null (object).'],
    ['fast', 'Expected the call options to be an object, got fast (string).'],
    [{ chunkSize: 0 }, 'Expected `chunkSize` to be an integer from 1 and up, got `0` (number).'],
    [
      { chunkSize: Number.POSITIVE_INFINITY },
      'Expected `chunkSize` to be an integer from 1 and up, got `Infinity` (number).',
    ],
    [
      { timeout: 0 },
      'Expected `timeout` to be a number of milliseconds above 0, got `0` (number).',
    ],
    [
      { timeout: '5' },
      'Expected `timeout` to be a number of milliseconds above 0, got `5` (string).',
    ],
    [
      { signal: {} },
      'Expected `signal` to be an AbortSignal, like `AbortSignal.timeout(1000)` or `controller.signal`.',
    ],
    [{ onProgress: 'bar' }, 'Expected `onProgress` to be a function, got string.'],
    [
      { chunk: 5 },
      'Unknown call option `chunk`. The call options are `chunkSize`, `signal`, `timeout`, `onProgress`, `settle`.',
    ],
  ])('%o is refused', (options, message) => {
    expect(refusal(() => checkCallOptions(options as never))).toBe(message);
  });
});

describe('the nearest option to a misspelt name', () => {
  it.each([
    ['THREADS', poolOptionNames, 'threads'],
    ['maxThreads', poolOptionNames, 'threads'],
    ['minThreads', poolOptionNames, 'threads'],
    ['numThreads', poolOptionNames, 'threads'],
    ['workers', poolOptionNames, 'threads'],
    ['processes', poolOptionNames, 'threads'],
    ['poolSize', poolOptionNames, 'threads'],
    ['concurrency', poolOptionNames, 'threads'],
    ['maxtasksperchild', poolOptionNames, 'maxTasksPerThread'],
    ['maxTasksPerChild', poolOptionNames, 'maxTasksPerThread'],
    ['maxTasksPerWorker', poolOptionNames, 'maxTasksPerThread'],
    ['batchSize', callOptionNames, 'chunkSize'],
    ['chunk_size', callOptionNames, 'chunkSize'],
    ['timeoutMs', callOptionNames, 'timeout'],
    ['abortSignal', callOptionNames, 'signal'],
    ['progress', callOptionNames, 'onProgress'],
    ['chunksize', callOptionNames, 'chunkSize'],
    ['timout', callOptionNames, 'timeout'],
    ['singal', callOptionNames, 'signal'],
    ['setle', callOptionNames, 'settle'],
    ['argvs', poolOptionNames, 'argv'],
    ['ar', poolOptionNames, 'argv'],
    ['q', poolOptionNames, undefined],
    ['batchSize', poolOptionNames, undefined],
    ['colour', poolOptionNames, undefined],
    ['', callOptionNames, undefined],
  ])('%s among %o: %s', (name, known, nearest) => {
    expect(nearestOption(name, known)).toBe(nearest);
  });

  it('within two edits, the nearest of several wins', () => {
    expect(nearestOption('env', ['envs', 'en'])).toBe('envs');
    expect(nearestOption('abcd', ['abxy', 'abcx'])).toBe('abcx');
    expect(nearestOption('abcd', ['abcx', 'abxd'])).toBe('abcx');
    expect(nearestOption('abcdef', ['abcxyz'])).toBeUndefined();
  });
});
