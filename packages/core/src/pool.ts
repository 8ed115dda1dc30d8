// [main] ClosurePool: Python's Pool API (map, imap, imapUnordered, starmap, apply) over an executor.
import { EventEmitter } from 'node:events';
import {
  BoundedCache,
  CANNOT_TRAVEL,
  Capture,
  createPayloadCache,
  type EncodedClosure,
  encodeClosure,
  type PayloadCache,
} from '@closure-pool/serializer';
import {
  AdaptiveChunkSize,
  ChunkSource,
  fixedChunkSize,
  type Items,
  knownLength,
} from './chunking.js';
import { itemNotCloneable, uncloneableItems } from './cloneable.js';
import { fromErrorRecord } from './error-record.js';
import {
  ClosurePoolError,
  ErrorCode,
  InvalidArgumentError,
  PoolClosedError,
  StrayError,
  WorkerCrashedError,
} from './errors.js';
import { type Executor, type ExecutorStats, exitCodeOf } from './executor.js';
import { createLocalExecutor } from './local-executor.js';
import {
  type CallOptions,
  callOptionNames,
  checkCallOptions,
  nearestOption,
  type PoolOptions,
  resolvePoolOptions,
} from './options.js';
import { type CallMode, directCallTask, isBareResult, isMissing } from './protocol.js';
import {
  type CallOrigin,
  ChunkRunner,
  explain,
  type Outcome,
  outcomeAt,
  type Range,
  readReply,
} from './runner.js';
import { awaitedSite, callSite } from './user-frames.js';

type Settled<R> = PromiseSettledResult<Awaited<R>>;
type Settling = CallOptions & { readonly settle: true };
type Throwing = CallOptions & { readonly settle?: false };
type Call = {
  capture: Capture | undefined;
  options: CallOptions;
  payload?: EncodedClosure;
  /** Where the caller called the pool, for the stacks of its items' errors. */
  site?: { readonly stack?: string };
};

/** `pool.stats()`: see there. */
export interface PoolStats extends ExecutorStats {
  /** Items whose outcome was a result, since the pool started. */
  readonly itemsCompleted: number;
  /** Items whose outcome was an error, since the pool started. */
  readonly itemsFailed: number;
}

/** A pool of worker threads that runs ordinary closures: `await pool.map((x) => x ** y, xs, capture({ y }))`. */
export class ClosurePool<Context = undefined> extends EventEmitter implements AsyncDisposable {
  private executor: Executor;
  private size: number;
  /** Items whose outcome was a result, and an error, over the pool's life. */
  private itemsCompleted = 0;
  private itemsFailed = 0;
  private readonly active = new Set<ChunkRunner>();
  /** Calls made by `apply` without a runner, for close() to wait on. */
  private readonly direct = new Set<Promise<unknown>>();
  private terminated = false;
  private readonly resourceLimits: PoolOptions['resourceLimits'];
  private closed = false;
  /** Recent payloads: an equal capture sent again shares one frame, and the threads' cached closure. */
  private readonly payloads: PayloadCache;
  private readonly loadTimeout: number;
  /** The pool's `init`, encoded once: every executor's threads (after `resize` too) run it. */
  private readonly init: EncodedClosure | undefined;
  /** Payloads a call has loaded: `apply` of one of these may skip the watched path. */
  private readonly loaded = new BoundedCache<string, true>(1024);
  /** Calls in progress by number, for the errors their functions leave behind. */
  private readonly calls = new Map<number, ChunkRunner>();
  private lastCallId = 0;
  /** Threads are replaced now and then (`maxTasksPerThread`): every call is watched. */
  private readonly recycles: boolean;

  constructor(private readonly options: PoolOptions<Context> = {}) {
    super();
    const resolved = resolvePoolOptions(options);
    this.recycles = Number.isFinite(resolved.maxTasksPerThread);
    this.payloads = createPayloadCache(resolved.cacheBytes);
    this.loadTimeout = resolved.loadTimeout;
    assertCodeGeneration();
    this.resourceLimits = resolved.resourceLimits;
    if (options.init !== undefined && typeof options.init !== 'function')
      throw new InvalidArgumentError(
        `Expected \`init\` to be a function run once on each thread, got ${typeof options.init}.`,
      );
    if (options.init && options.executor)
      throw new InvalidArgumentError(
        '`init` runs on the pool’s own threads; a pool given an `executor` has none. Do the setup in the function (once per process, with a module-level cache) instead.',
      );
    // checked and encoded here, where it is written: a missing capture is the caller's error
    this.init = options.init ? encodeClosure(options.init) : undefined;
    this.executor = this.listenTo(options.executor ?? createLocalExecutor(options, this.init));
    this.size = this.executor.concurrency;
  }

  /** How many items run at once. */
  get threads(): number {
    return this.size;
  }

  /** Wires an executor's reports to the pool: errors left behind, threads starting and exiting. */
  private listenTo(executor: Executor): Executor {
    executor.onStray?.(({ callId, kind, error }) => {
      const stray = new StrayError(kind, fromErrorRecord(error));
      const runner = callId === undefined ? undefined : this.calls.get(callId);
      if (runner) runner.strayError(stray);
      else this.reportStray(stray);
    });
    executor.onThread?.((event, threadId) =>
      this.emit(event === 'start' ? 'threadStart' : 'threadExit', threadId),
    );
    return executor;
  }

  /**
   * What the pool is doing: threads (busy ones), chunks queued, items completed and failed so
   * far, how long chunks ran and waited (ms, percentiles, as Piscina records them), utilization.
   */
  stats(): PoolStats {
    const executor = this.executor.stats?.();
    return {
      threads: executor?.threads ?? this.size,
      busyThreads: executor?.busyThreads ?? 0,
      queuedChunks: executor?.queuedChunks ?? 0,
      itemsCompleted: this.itemsCompleted,
      itemsFailed: this.itemsFailed,
      ...(executor?.runTime ? { runTime: executor.runTime } : {}),
      ...(executor?.waitTime ? { waitTime: executor.waitTime } : {}),
      ...(executor?.utilization !== undefined ? { utilization: executor.utilization } : {}),
    };
  }

  /**
   * Changes how many threads the pool has: new calls run on the new threads at once; calls already
   * running finish on the old ones, which then stop. Only for the pool's own threads.
   */
  async resize(threads: number): Promise<void> {
    if (this.options.executor)
      throw new InvalidArgumentError(
        'resize() changes the pool’s own threads; this pool runs on the executor it was given.',
      );
    if (this.closed) throw new PoolClosedError();
    const old = this.executor;
    this.executor = this.listenTo(createLocalExecutor({ ...this.options, threads }, this.init));
    this.size = this.executor.concurrency;
    const running = [...this.active].filter((runner) => runner.runsOn(old));
    await Promise.all(running.map((runner) => runner.finished));
    await Promise.allSettled([...this.direct]);
    await old.close();
  }

  /**
   * `pool.on('error', (error) => …)`: errors a function left behind once its call had ended, or
   * in a call that settles (`StrayError`). Without a listener they are printed as process warnings.
   */
  override on(event: 'error', listener: (error: StrayError) => void): this;
  /** A thread started (after the pool's start, a replacement, or `resize`), or exited. */
  override on(event: 'threadStart' | 'threadExit', listener: (threadId: number) => void): this;
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.on(event, listener);
  }

  private reportStray(error: Error): void {
    // an 'error' event nobody listens to would throw: the calling process must not crash for it
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else process.emitWarning(error);
  }

  /** `fn(item, index)` for every item, in parallel; results in input order. */
  map<T, R>(
    fn: (item: T, index: number, context: Context) => R,
    items: Items<T>,
    capture?: Capture,
    options?: Throwing,
  ): Promise<Awaited<R>[]>;
  map<T, R>(
    fn: (item: T, index: number, context: Context) => R,
    items: Items<T>,
    capture: Capture | undefined,
    options: Settling,
  ): Promise<Settled<R>[]>;
  map<T, R>(
    fn: (item: T, index: number, context: Context) => R,
    items: Items<T>,
    options: Throwing,
  ): Promise<Awaited<R>[]>;
  map<T, R>(
    fn: (item: T, index: number, context: Context) => R,
    items: Items<T>,
    options: Settling,
  ): Promise<Settled<R>[]>;
  async map(fn: Function, items: Items<unknown>, ...rest: unknown[]): Promise<unknown[]> {
    return this.collect(fn, items, 'item', { ...splitArgs(rest), site: callSite(this.map) });
  }

  /** `fn(...args)` for every argument list, in parallel; results in input order. */
  starmap<A extends unknown[], R>(
    fn: (...args: A) => R,
    argLists: Items<A>,
    capture?: Capture,
    options?: Throwing,
  ): Promise<Awaited<R>[]>;
  starmap<A extends unknown[], R>(
    fn: (...args: A) => R,
    argLists: Items<A>,
    capture: Capture | undefined,
    options: Settling,
  ): Promise<Settled<R>[]>;
  starmap<A extends unknown[], R>(
    fn: (...args: A) => R,
    argLists: Items<A>,
    options: Throwing,
  ): Promise<Awaited<R>[]>;
  starmap<A extends unknown[], R>(
    fn: (...args: A) => R,
    argLists: Items<A>,
    options: Settling,
  ): Promise<Settled<R>[]>;
  async starmap(fn: Function, argLists: Items<unknown[]>, ...rest: unknown[]): Promise<unknown[]> {
    return this.collect(fn, argLists, 'spread', {
      ...splitArgs(rest),
      site: callSite(this.starmap),
    });
  }

  /** One call, `fn(...args)`, in a worker thread. */
  apply<A extends unknown[], R>(
    fn: (...args: A) => R,
    args: A,
    capture?: Capture,
    options?: Omit<CallOptions, 'settle' | 'chunkSize'>,
  ): Promise<Awaited<R>>;
  apply<A extends unknown[], R>(
    fn: (...args: A) => R,
    args: A,
    options?: Omit<CallOptions, 'settle' | 'chunkSize'>,
  ): Promise<Awaited<R>>;
  async apply(fn: Function, args: unknown[], ...rest: unknown[]): Promise<unknown> {
    if (!Array.isArray(args))
      throw new InvalidArgumentError(
        `Expected the arguments to be an array, like [1, 2], got ${typeof args}.`,
      );
    const { capture, options } = splitArgs(rest);
    this.check(fn, options);
    const payload = encodeClosure(fn, capture, { cache: this.payloads });
    // the first call of a payload is watched, so that loadTimeout bounds its loading; later ones
    // (nothing to watch: no timeout, no progress) go direct, at the thread pool's own latency,
    // and read their caller's frames from the async stack only if the call fails
    if (
      this.loaded.get(payload.id) &&
      options.timeout === undefined &&
      !options.onProgress &&
      !this.recycles
    )
      return await this.callDirectly(payload, args, options, { fn, capture, site: undefined });
    const [result] = await this.collect(fn, [args], 'spread', {
      capture,
      options: { ...options, settle: false, chunkSize: 1 },
      payload,
      site: callSite(this.apply),
    });
    this.loaded.set(payload.id, true);
    return result;
  }

  /** Like `map`, streaming: results in input order as they are ready; the input is read lazily. */
  imap<T, R>(
    fn: (item: T, index: number, context: Context) => R,
    items: Items<T>,
    capture?: Capture,
    options?: Throwing,
  ): AsyncIterableIterator<Awaited<R>>;
  imap<T, R>(
    fn: (item: T, index: number, context: Context) => R,
    items: Items<T>,
    capture: Capture | undefined,
    options: Settling,
  ): AsyncIterableIterator<Settled<R>>;
  imap<T, R>(
    fn: (item: T, index: number, context: Context) => R,
    items: Items<T>,
    options: Throwing,
  ): AsyncIterableIterator<Awaited<R>>;
  imap<T, R>(
    fn: (item: T, index: number, context: Context) => R,
    items: Items<T>,
    options: Settling,
  ): AsyncIterableIterator<Settled<R>>;
  imap(fn: Function, items: Items<unknown>, ...rest: unknown[]): AsyncIterableIterator<unknown> {
    const buffered = new Map<number, Range>();
    const start = this.prepare(
      fn,
      items,
      'item',
      { ...splitArgs(rest), site: callSite(this.imap) },
      () => buffered.size < this.threads * 2,
    );
    return inOrder(start, buffered);
  }

  /** Like `imap`, but each result as soon as it is ready: completion order. */
  imapUnordered<T, R>(
    fn: (item: T, index: number, context: Context) => R,
    items: Items<T>,
    capture?: Capture,
    options?: Throwing,
  ): AsyncIterableIterator<Awaited<R>>;
  imapUnordered<T, R>(
    fn: (item: T, index: number, context: Context) => R,
    items: Items<T>,
    capture: Capture | undefined,
    options: Settling,
  ): AsyncIterableIterator<Settled<R>>;
  imapUnordered<T, R>(
    fn: (item: T, index: number, context: Context) => R,
    items: Items<T>,
    options: Throwing,
  ): AsyncIterableIterator<Awaited<R>>;
  imapUnordered<T, R>(
    fn: (item: T, index: number, context: Context) => R,
    items: Items<T>,
    options: Settling,
  ): AsyncIterableIterator<Settled<R>>;
  imapUnordered(
    fn: Function,
    items: Items<unknown>,
    ...rest: unknown[]
  ): AsyncIterableIterator<unknown> {
    return asCompleted(
      this.prepare(fn, items, 'item', { ...splitArgs(rest), site: callSite(this.imapUnordered) }),
    );
  }

  /** Accepts no new work, lets every call already made finish, then stops the threads. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.active].map((runner) => runner.finished));
    await Promise.allSettled([...this.direct]);
    await this.executor.close();
  }

  /** Stops now: calls in progress reject with PoolClosedError and running items are stopped. */
  async terminate(): Promise<void> {
    this.closed = true;
    this.terminated = true;
    for (const runner of this.active)
      runner.abort(new PoolClosedError('The pool was terminated while this call was running.'));
    await this.executor.destroy();
  }

  /** Why a capture cannot hold a pool (registerClass could not make it travel either). */
  get [CANNOT_TRAVEL](): string {
    return 'a ClosurePool, whose threads belong to the thread that made it. To run work in parallel from inside the function, make a pool there (pools nest)';
  }

  /** `await using pool = new ClosurePool()` closes the pool at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * One call without the chunk machinery (no timeout or progress to watch): the latency of `apply`
   * is then close to the thread pool's own.
   */
  private async callDirectly(
    payload: EncodedClosure,
    args: unknown[],
    options: CallOptions,
    origin: CallOrigin,
  ): Promise<unknown> {
    const { signal } = options;
    if (signal?.aborted) throw signal.reason;
    const callId = ++this.lastCallId;
    // the payload has run before: its frame goes only to a thread that says it lacks the closure
    const bare = this.executor.bareResults === true;
    const task = directCallTask(callId, payload, args, bare, true);
    let running = this.executor.run(task, signal);
    this.direct.add(running);
    let message: Awaited<typeof running>;
    try {
      message = await running;
      if (isMissing(message)) {
        this.direct.delete(running);
        running = this.executor.run(directCallTask(callId, payload, args, bare), signal);
        this.direct.add(running);
        message = await running;
      }
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (this.terminated)
        throw new PoolClosedError('The pool was terminated while this call was running.');
      // the call could not be posted, so nothing ran: its arguments cannot be cloned
      const [uncloneable] =
        (error as Error)?.name === 'DataCloneError' ? uncloneableItems([args]) : [];
      if (uncloneable) {
        this.itemsFailed++;
        const failed = itemNotCloneable(0, uncloneable);
        explain(failed, payload, { ...origin, site: origin.site ?? awaitedSite() });
        throw failed;
      }
      throw new WorkerCrashedError(0, error, exitCodeOf(error), this.resourceLimits);
    } finally {
      this.direct.delete(running);
    }
    // a primitive result with nothing else to say, alone (an executor that opted in)
    const answer: unknown = message;
    if (task.bare && isBareResult(answer)) {
      this.itemsCompleted++;
      return answer;
    }
    const { reply, range } = readReply(message, 0, 1);
    const [stray] = reply.strays ?? [];
    for (const { kind, error } of reply.strays?.slice(1) ?? [])
      this.reportStray(new StrayError(kind, fromErrorRecord(error)));
    if (stray) throw new StrayError(stray.kind, fromErrorRecord(stray.error));
    const outcome = outcomeAt(range, 0);
    if (outcome.ok) this.itemsCompleted++;
    else {
      this.itemsFailed++;
      explain(outcome.error, payload, { ...origin, site: origin.site ?? awaitedSite() });
    }
    return unwrap(outcome);
  }

  private check(fn: Function, options: CallOptions): void {
    if (this.closed) throw new PoolClosedError();
    if (typeof fn !== 'function') {
      throw new InvalidArgumentError(
        `Expected a function to run on each item, got ${fn === null ? 'null' : typeof fn}.`,
      );
    }
    checkCallOptions(options);
  }

  private async collect(
    fn: Function,
    items: Items<unknown>,
    mode: CallMode,
    call: Call,
  ): Promise<unknown[]> {
    const runner = this.prepare(fn, items, mode, call)();
    const settle = call.options.settle === true;
    // ranges come in completion order: kept, then laid out in input order at the end (writing
    // each where it belongs as it came would make a large results array sparse, and slow)
    const ranges: Range[] = [];
    try {
      for (let range = await runner.next(); range; range = await runner.next()) {
        const [first] = range.failures?.values() ?? [];
        if (!settle && first) throw first;
        ranges.push(range);
      }
    } finally {
      runner.dispose();
    }
    ranges.sort((a, b) => a.start - b.start);
    // one array made to its final size: grown by push, it costs 3–4× as much (each growth copies
    // it into fresh memory), a third of a map over 100,000 numbers (bench trivial-items)
    const total = ranges.reduce((n, range) => n + range.values.length, 0);
    const results: unknown[] = total <= maxPreallocated ? new Array(total) : [];
    let at = 0;
    for (const range of ranges) {
      // every item has its outcome once the call ends normally: a gap is a bug of ours
      if (range.start !== at)
        throw new Error(`closure-pool: items ${at}–${range.start - 1} have no outcome`);
      const { values } = range;
      if (settle)
        for (let i = 0; i < values.length; i++) results[at++] = settled(outcomeAt(range, i));
      else for (let i = 0; i < values.length; i++) results[at++] = values[i];
    }
    return results;
  }

  /**
   * Checks the arguments and serializes the closure now, at the call site (a CaptureError is the
   * caller's); returns what starts the call's runner once results are wanted.
   */
  private prepare(
    fn: Function,
    items: Items<unknown>,
    mode: CallMode,
    { capture, options, payload: encoded, site }: Call,
    canDispatch?: () => boolean,
  ): () => ChunkRunner {
    this.check(fn, options);
    const payload = encoded ?? encodeClosure(fn, capture, { cache: this.payloads });
    const total = knownLength(items);
    const adaptive =
      options.chunkSize === undefined && total === undefined ? new AdaptiveChunkSize() : undefined;
    const size =
      options.chunkSize ?? (total === undefined ? 1 : fixedChunkSize(total, this.threads));
    const source = new ChunkSource(items, adaptive ? () => adaptive.current : () => size);
    return () => {
      if (this.closed && !this.active.size) throw new PoolClosedError();
      const callId = ++this.lastCallId;
      const runner = new ChunkRunner({
        callId,
        onStray: (error) => this.reportStray(error),
        onOutcomes: (completed, failed) => {
          this.itemsCompleted += completed;
          this.itemsFailed += failed;
        },
        executor: this.executor,
        payload,
        mode,
        source,
        onChunkDone: adaptive ? (n, ms) => adaptive.record(n, ms) : undefined,
        settle: options.settle === true,
        timeout: options.timeout,
        loadTimeout: this.loadTimeout,
        signal: options.signal,
        onProgress: options.onProgress,
        total,
        window: this.threads * 2,
        canDispatch,
        resourceLimits: this.resourceLimits,
        origin: { fn, capture, site },
      });
      this.active.add(runner);
      this.calls.set(callId, runner);
      void runner.finished.then(() => {
        this.active.delete(runner);
        this.calls.delete(callId);
      });
      return runner;
    };
  }
}

/**
 * Workers rebuild closures from source, which `--disallow-code-generation-from-strings` forbids
 * (in every thread of the process): say so at once, not as an obscure EvalError per item.
 */
function assertCodeGeneration(): void {
  try {
    new Function('');
  } catch (error) {
    throw new ClosurePoolError(
      ErrorCode.CODE_GENERATION_DISALLOWED,
      'closure-pool needs code generation from strings: its workers rebuild each function from its source. ' +
        'This process forbids it (--disallow-code-generation-from-strings, or a policy). Remove that flag to use closure-pool.',
      { cause: error },
    );
  }
}

/** The optional arguments after the items: `(capture?, options?)` or `(options)`. */
function splitArgs(rest: unknown[]): Call {
  const [first, second] = rest;
  if (first instanceof Capture || first === undefined)
    return { capture: first, options: (second ?? {}) as CallOptions };
  if (
    first !== null &&
    typeof first === 'object' &&
    typeof (first as Iterable<unknown>)[Symbol.iterator] === 'function'
  ) {
    throw new InvalidArgumentError(
      'The third argument is a second input, but a map takes one: closure-pool reads the third argument as capture({ … }) or options. ' +
        "For Python's map(f, xs, ys), zip the inputs and use starmap: pool.starmap(f, zip(xs, ys)), with zip from '@closure-pool/core'.",
    );
  }
  if (rest.length > 1) {
    throw new InvalidArgumentError(
      'Expected the third argument to be capture({ … }) when options follow it; wrap the variables in capture().',
    );
  }
  if (
    typeof first === 'object' &&
    first !== null &&
    Object.keys(first).some((k) => !optionNames.has(k))
  ) {
    const names = Object.keys(first).filter((k) => !optionNames.has(k));
    const typo = names
      .map((n) => [n, nearestOption(n, callOptionNames)] as const)
      .find(([, k]) => k);
    if (typo)
      throw new InvalidArgumentError(
        `Unknown call option \`${typo[0]}\`: did you mean \`${typo[1]}\`? To capture variables instead, wrap them: capture({ … }).`,
      );
    throw new InvalidArgumentError(
      `The third argument has ${names.map((n) => `\`${n}\``).join(', ')}, which are not call options. ` +
        `To capture variables, wrap them: capture({ ${names.join(', ')} }).`,
    );
  }
  return { capture: undefined, options: first as CallOptions };
}

const optionNames = new Set<string>(callOptionNames);
/** The longest array V8 makes with fast elements from `new Array(length)` (longer ones are dictionaries). */
const maxPreallocated = 32 * 1024 * 1024;

function unwrap(outcome: Outcome): unknown {
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/** A range's items as a stream hands them out: settled, or values (throwing at a failure). */
function* outcomesOf(range: Range, settle: boolean): Generator<unknown> {
  for (let i = 0; i < range.values.length; i++) {
    const outcome = outcomeAt(range, i);
    yield settle ? settled(outcome) : unwrap(outcome);
  }
}

function settled(outcome: Outcome): PromiseSettledResult<unknown> {
  return outcome.ok
    ? { status: 'fulfilled', value: outcome.value }
    : { status: 'rejected', reason: outcome.error };
}

async function* inOrder(
  start: () => ChunkRunner,
  buffered: Map<number, Range>,
): AsyncGenerator<unknown> {
  const runner = start();
  const settle = runner.settles;
  let next = 0;
  try {
    for (;;) {
      for (let range = buffered.get(next); range; range = buffered.get(next)) {
        buffered.delete(next);
        next += range.values.length;
        yield* outcomesOf(range, settle);
      }
      const range = await runner.next();
      if (!range) return;
      buffered.set(range.start, range);
    }
  } finally {
    runner.dispose();
  }
}

async function* asCompleted(start: () => ChunkRunner): AsyncGenerator<unknown> {
  const runner = start();
  const settle = runner.settles;
  try {
    for (let range = await runner.next(); range; range = await runner.next())
      yield* outcomesOf(range, settle);
  } finally {
    runner.dispose();
  }
}
