// [main] The pool's and each call's options, their defaults (set here, once) and their checks.
import { availableParallelism } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';
import { DEFAULT_CACHE_BYTES } from '@closure-pool/serializer';
import { InvalidArgumentError } from './errors.js';
import type { Executor } from './executor.js';

export interface PoolOptions<Context = undefined> {
  /**
   * Run once on each thread before its first item (Python's `initializer`): open a file, load a
   * model, warm a cache. What it returns (awaited) is the third argument of the functions given
   * to `map`, `imap` and `imapUnordered`, `fn(item, index, context)`; what it sets on
   * `globalThis` is there for every function on the thread. Its environment is declared with
   * `closure(fn, { … })`. If it throws, every item on that thread fails with its error.
   */
  readonly init?: () => Context | Promise<Context>;
  /**
   * How many worker threads run items.
   * @default os.availableParallelism()
   */
  readonly threads?: number;
  /**
   * How long an idle thread is kept before it exits, in milliseconds.
   * @default 30_000
   */
  readonly idleTimeout?: number;
  /**
   * Memory limits for each thread; an item that exceeds them fails with WorkerCrashedError.
   * @default undefined (Node's defaults)
   */
  readonly resourceLimits?: ResourceLimits;
  /**
   * How many chunks may wait in the queue of the thread pool.
   * @default Infinity
   */
  readonly maxQueue?: number;
  /**
   * Longest time a thread may take to rebuild a closure — compile it and import the modules it
   * names with `moduleRef` — in milliseconds. Past it, the items of that chunk fail with a
   * `TaskError` (code `LOAD_TIMEOUT`) naming the modules, and the thread is replaced.
   * @default 60_000
   */
  readonly loadTimeout?: number;
  /**
   * Bytes of recent payloads kept on each side of the thread boundary: encoded closures on the
   * calling thread, and rebuilt closures with their captured values in each worker thread. An
   * equal capture sent again costs a lookup instead of a copy; a capture larger than this is
   * never kept.
   * @default 32 MiB (`DEFAULT_CACHE_BYTES`)
   */
  readonly cacheBytes?: number;
  /**
   * Chunks a thread runs before it is replaced by a fresh one (Python's `maxtasksperchild`): what
   * a function leaves on its thread — module state, globals it sets, memory it leaks — is then
   * dropped every this many chunks. With `chunkSize: 1` a chunk is one item.
   * @default Infinity (threads are kept)
   */
  readonly maxTasksPerThread?: number;
  /** Environment variables of each thread (`process.env` there); Node's `SHARE_ENV` shares the caller's. @default a copy of the caller's */
  readonly env?: Readonly<Record<string, string>> | symbol;
  /** Node options of each thread (`process.execArgv` there), such as `['--enable-source-maps']`. @default the caller's */
  readonly execArgv?: readonly string[];
  /** Arguments each thread sees after its script in `process.argv`. @default [] */
  readonly argv?: readonly string[];
  /**
   * The worker file each thread runs. Needed only when your app is bundled into one file: copy
   * `@closure-pool/core/dist/closure-pool-worker.cjs` beside the bundle (found there without this
   * option), or anywhere and name it here.
   * @default the package's own `dist/worker.cjs`
   */
  readonly workerFile?: string | URL;
  /**
   * The engine that runs chunks. The default is a Piscina thread pool built from the options above.
   * @default a PiscinaExecutor
   */
  readonly executor?: Executor;
}

export interface CallOptions {
  /**
   * Items sent to a thread at once. Larger chunks cost fewer messages; smaller ones balance better.
   * @default about four chunks per thread when the input's length is known; adaptive otherwise
   */
  readonly chunkSize?: number;
  /** Aborts the call: items not started never run, running ones are stopped, the call rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
  /**
   * Longest time one item may run, in milliseconds; past it the item fails with TaskTimeoutError and its thread is replaced.
   * @default Infinity
   */
  readonly timeout?: number;
  /** Called as items finish (at most a few times a second while chunks run). */
  readonly onProgress?: (progress: Progress) => void;
  /**
   * Resolve with one `PromiseSettledResult` per item instead of rejecting at the first failure.
   * @default false
   */
  readonly settle?: boolean;
}

export interface Progress {
  /** Items finished so far. */
  readonly completed: number;
  /** All items, when the input's length is known. */
  readonly total?: number;
}

export interface ResolvedPoolOptions {
  readonly threads: number;
  readonly idleTimeout: number;
  readonly resourceLimits: ResourceLimits | undefined;
  readonly maxQueue: number;
  readonly cacheBytes: number;
  readonly loadTimeout: number;
  readonly maxTasksPerThread: number;
  readonly env: Readonly<Record<string, string>> | symbol | undefined;
  readonly execArgv: readonly string[] | undefined;
  readonly argv: readonly string[] | undefined;
}

export function resolvePoolOptions(options: PoolOptions<unknown> = {}): ResolvedPoolOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(
      `Expected the pool options to be an object, got ${String(options)} (${typeof options}).`,
    );
  }
  checkOptionNames(options, poolOptionNames, 'pool');
  const threads = options.threads ?? availableParallelism();
  positiveInteger('threads', threads, false);
  const idleTimeout = options.idleTimeout ?? 30_000;
  nonNegative('idleTimeout', idleTimeout);
  const maxQueue = options.maxQueue ?? Number.POSITIVE_INFINITY;
  positiveInteger('maxQueue', maxQueue, true);
  const cacheBytes = options.cacheBytes ?? DEFAULT_CACHE_BYTES;
  if (typeof cacheBytes !== 'number' || !(cacheBytes >= 0)) {
    throw new InvalidArgumentError(
      `Expected \`cacheBytes\` to be a number of bytes from 0 up, got \`${String(cacheBytes)}\` (${typeof cacheBytes}).`,
    );
  }
  const loadTimeout = options.loadTimeout ?? 60_000;
  if (typeof loadTimeout !== 'number' || !(loadTimeout > 0)) {
    throw new InvalidArgumentError(
      `Expected \`loadTimeout\` to be a number of milliseconds above 0 (or Infinity), got \`${String(loadTimeout)}\` (${typeof loadTimeout}).`,
    );
  }
  const maxTasksPerThread = options.maxTasksPerThread ?? Number.POSITIVE_INFINITY;
  positiveInteger('maxTasksPerThread', maxTasksPerThread, true);
  if (
    options.env !== undefined &&
    typeof options.env !== 'symbol' &&
    (options.env === null ||
      typeof options.env !== 'object' ||
      Object.values(options.env).some((v) => typeof v !== 'string'))
  )
    throw new InvalidArgumentError(
      'Expected `env` to be an object of strings (or SHARE_ENV from node:worker_threads).',
    );
  for (const name of ['execArgv', 'argv'] as const) {
    const list = options[name];
    if (list !== undefined && (!Array.isArray(list) || list.some((a) => typeof a !== 'string')))
      throw new InvalidArgumentError(`Expected \`${name}\` to be an array of strings.`);
  }
  if (options.resourceLimits !== undefined) checkResourceLimits(options.resourceLimits);
  if (options.executor !== undefined) checkExecutor(options.executor);
  return {
    threads,
    idleTimeout,
    resourceLimits: options.resourceLimits,
    maxQueue,
    cacheBytes,
    loadTimeout,
    maxTasksPerThread,
    env: options.env,
    execArgv: options.execArgv,
    argv: options.argv,
  };
}

export function checkCallOptions(options: CallOptions = {}): void {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(
      `Expected the call options to be an object, got ${String(options)} (${typeof options}).`,
    );
  }
  checkOptionNames(options, callOptionNames, 'call');
  if (options.chunkSize !== undefined) positiveInteger('chunkSize', options.chunkSize, false);
  if (options.timeout !== undefined) {
    if (typeof options.timeout !== 'number' || !(options.timeout > 0)) {
      throw new InvalidArgumentError(
        `Expected \`timeout\` to be a number of milliseconds above 0, got \`${String(options.timeout)}\` (${typeof options.timeout}).`,
      );
    }
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidArgumentError(
      'Expected `signal` to be an AbortSignal, like `AbortSignal.timeout(1000)` or `controller.signal`.',
    );
  }
  if (options.settle !== undefined && typeof options.settle !== 'boolean') {
    throw new InvalidArgumentError(
      `Expected \`settle\` to be true or false, got \`${String(options.settle)}\` (${typeof options.settle}).`,
    );
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new InvalidArgumentError(
      `Expected \`onProgress\` to be a function, got ${typeof options.onProgress}.`,
    );
  }
}

/** The limits Node's `Worker` takes: a misspelt one (`maxOldGenerationSizeMB`) it ignores. */
const resourceLimitNames = [
  'maxOldGenerationSizeMb',
  'maxYoungGenerationSizeMb',
  'codeRangeSizeMb',
  'stackSizeMb',
] as const;

function checkResourceLimits(limits: unknown): void {
  if (limits === null || typeof limits !== 'object' || Array.isArray(limits))
    throw new InvalidArgumentError(
      `Expected \`resourceLimits\` to be an object like { maxOldGenerationSizeMb: 256 }, got \`${String(limits)}\` (${typeof limits}).`,
    );
  checkOptionNames(limits, resourceLimitNames, 'resourceLimits');
  for (const [name, value] of Object.entries(limits))
    if (typeof value !== 'number' || !(value > 0) || value === Number.POSITIVE_INFINITY)
      throw new InvalidArgumentError(
        `Expected \`resourceLimits.${name}\` to be a number of megabytes above 0, got \`${String(value)}\` (${typeof value}).`,
      );
}

/** What the pool calls on an executor (see `Executor`): the rest is optional. */
function checkExecutor(executor: unknown): void {
  const e = executor as Partial<Record<string, unknown>> | null;
  const lacking: string[] = [];
  if (e === null || typeof e !== 'object') lacking.push('an object');
  else {
    for (const name of ['run', 'close', 'destroy'])
      if (typeof e[name] !== 'function') lacking.push(`${name}()`);
    if (!Number.isInteger(e.concurrency) || (e.concurrency as number) < 1)
      lacking.push('concurrency (an integer from 1 up)');
  }
  if (lacking.length > 0)
    throw new InvalidArgumentError(
      `Expected \`executor\` to implement Executor (run(), close(), destroy() and concurrency), like createLocalExecutor() returns; it lacks ${lacking.join(', ')}.`,
    );
}

function positiveInteger(name: string, value: unknown, allowInfinity: boolean): void {
  const ok =
    typeof value === 'number' &&
    ((Number.isInteger(value) && value >= 1) ||
      (allowInfinity && value === Number.POSITIVE_INFINITY));
  if (!ok) {
    throw new InvalidArgumentError(
      `Expected \`${name}\` to be an integer from 1 and up${allowInfinity ? ' or `Infinity`' : ''}, got \`${String(value)}\` (${typeof value}).`,
    );
  }
}

function nonNegative(name: string, value: unknown): void {
  if (typeof value !== 'number' || !(value >= 0)) {
    throw new InvalidArgumentError(
      `Expected \`${name}\` to be a number of milliseconds from 0 up, got \`${String(value)}\` (${typeof value}).`,
    );
  }
}

export const poolOptionNames = [
  'init',
  'threads',
  'idleTimeout',
  'resourceLimits',
  'maxQueue',
  'cacheBytes',
  'loadTimeout',
  'maxTasksPerThread',
  'env',
  'execArgv',
  'argv',
  'workerFile',
  'executor',
] as const;
export const callOptionNames = ['chunkSize', 'signal', 'timeout', 'onProgress', 'settle'] as const;

/** What users of other pools call our options. */
const synonyms: Readonly<Record<string, string>> = {
  maxThreads: 'threads',
  minThreads: 'threads',
  numThreads: 'threads',
  workers: 'threads',
  processes: 'threads',
  poolSize: 'threads',
  concurrency: 'threads',
  batchSize: 'chunkSize',
  chunk_size: 'chunkSize',
  timeoutMs: 'timeout',
  abortSignal: 'signal',
  progress: 'onProgress',
  maxtasksperchild: 'maxTasksPerThread',
  maxTasksPerChild: 'maxTasksPerThread',
  maxTasksPerWorker: 'maxTasksPerThread',
};

/** The known option nearest to `name`: the same but for case, a synonym, or within two edits. */
export function nearestOption(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  if (sameCase) return sameCase;
  const synonym = synonyms[name];
  if (synonym && known.includes(synonym)) return synonym;
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

/**
 * Refuses a key of `options` that is not among `known`, naming the nearest (`maxThreads` → did you
 * mean `threads`?): a misspelt option would otherwise be ignored. For executors' options too.
 */
export function checkOptionNames(options: object, known: readonly string[], what: string): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = nearestOption(key, known);
    throw new InvalidArgumentError(
      `Unknown ${what} option \`${key}\`${near ? `: did you mean \`${near}\`?` : '.'} The ${what} options are ${known.map((k) => `\`${k}\``).join(', ')}.`,
    );
  }
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}
