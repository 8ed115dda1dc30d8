// [main] Runs one pool call: keeps a bounded window of chunks in flight, notices timeouts and
// crashed threads through shared memory, and hands back finished ranges of items in completion order.
import { deserialize } from 'node:v8';
import {
  type Capture,
  ErrorCode,
  readTrustedFrame,
  scriptName,
  sourcePosition,
} from '@closure-pool/serializer';
import type { Chunk, ChunkSource } from './chunking.js';
import { itemNotCloneable, uncloneableItems } from './cloneable.js';
import { type ErrorRecord, fromErrorRecord } from './error-record.js';
import {
  ClosurePoolError,
  ExecutorUnavailableError,
  StrayError,
  TaskError,
  TaskTimeoutError,
  WorkerCrashedError,
} from './errors.js';
import { type Executor, exitCodeOf } from './executor.js';
import type { Progress } from './options.js';
import {
  type CallMode,
  type CallState,
  type ChunkReply,
  createCallState,
  type PayloadHandle,
  STOP,
} from './protocol.js';
import { createResultLog, readResultLog } from './result-log.js';
import { framesOf, type Origins, userStack } from './user-frames.js';

export type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: TaskError };

/**
 * Consecutive items, from `start`, that have finished: their values, and which of them failed (no
 * object per item: a map of 100,000 numbers makes 100,000 fewer).
 */
export interface Range {
  readonly start: number;
  /** One per item, `undefined` where the item failed. */
  readonly values: readonly unknown[];
  /** The items that failed, by position in the range, in that order; absent when none did. */
  readonly failures?: ReadonlyMap<number, TaskError>;
}

/** The outcome of the item at `position` of a range. */
export function outcomeAt(range: Range, position: number): Outcome {
  const error = range.failures?.get(position);
  return error ? { ok: false, error } : { ok: true, value: range.values[position] };
}

/** A range of one item that failed. */
function failed(start: number, error: TaskError): Range {
  return { start, values: [undefined], failures: new Map([[0, error]]) };
}

export interface RunSpec {
  readonly executor: Executor;
  /** The call's number in its pool, which its chunks carry. */
  readonly callId?: number;
  /** Where errors the function left behind go when the call cannot take them (it settles, or has ended). */
  readonly onStray?: (error: Error) => void;
  /** Told of the items that ended, for the pool's counts. */
  readonly onOutcomes?: (completed: number, failed: number) => void;
  readonly payload: PayloadHandle;
  readonly mode: CallMode;
  readonly source: ChunkSource;
  /** Told how long each chunk took, for adaptive chunk sizes. */
  readonly onChunkDone?: (items: number, elapsedMs: number) => void;
  readonly settle: boolean;
  readonly timeout: number | undefined;
  /** Longest time a thread may take to rebuild the closure (compile it, import its modules). */
  readonly loadTimeout: number;
  readonly signal: AbortSignal | undefined;
  readonly onProgress: ((progress: Progress) => void) | undefined;
  readonly total: number | undefined;
  /** The threads' memory limits, named when one runs out of memory. */
  readonly resourceLimits?: import('node:worker_threads').ResourceLimits | undefined;
  /** At most this many chunks in flight. */
  readonly window: number;
  /** Whether the consumer can take more (an ordered consumer buffers ranges that came early). */
  readonly canDispatch?: () => boolean;
  /** What the caller gave and where it called: for stacks that point at the user's code. */
  readonly origin?: CallOrigin;
}

/** The function and capture of a call, and where the caller made it. */
export interface CallOrigin {
  readonly fn: Function;
  readonly capture: Capture | undefined;
  readonly site: { readonly stack?: string } | undefined;
}

interface Running {
  readonly chunk: Chunk;
  readonly slot: number;
  /** Where the worker writes the chunk's outcomes as they end (chunks of more than one item). */
  readonly log: SharedArrayBuffer | undefined;
  readonly controller: AbortController | undefined;
  /** Stopped for running past `timeout` (an item) or `loadTimeout` (the closure's loading). */
  timedOut: false | 'item' | 'load';
}

const progressIntervalMs = 200;
/** How long, after an abort, a running item may take to end by itself before its thread is stopped. */
export const abortGraceMs = 50;
/** A chunk whose threads keep ending before they start it fails after this many tries. */
const maxUnstartedTries = 10;

export class ChunkRunner {
  private readonly call: CallState;
  /** Each slot's result log, made when the slot first runs a chunk of several items. */
  private readonly logs: (SharedArrayBuffer | undefined)[] = [];
  private readonly freeSlots: number[];
  private readonly running = new Map<number, Running>();
  private readonly ready: Range[] = [];
  private readonly retry: Chunk[] = [];
  /** How often each chunk went back because its thread ended before starting it. */
  private readonly unstarted = new WeakMap<Chunk, number>();
  private sourceDone = false;
  private stopped = false;
  /** Why the call ended early: thrown by `next()` once the ranges before it are handed out. */
  private failure: { error: unknown } | undefined;
  /** The first item that failed, when the call does not settle: thrown if the consumer never reached it. */
  private itemFailure: TaskError | undefined;
  /** The input's own error: thrown once every item read before it has its outcome. */
  private inputFailure: { error: unknown } | undefined;
  private events = 0;
  private waiter: (() => void) | undefined;
  private completed = 0;
  private reported = 0;
  /** Watches for items and loads past their bounds; runs until the last chunk of the call ends. */
  private timeoutTimer: NodeJS.Timeout | undefined;
  private progressTimer: NodeJS.Timeout | undefined;
  /** Stops every running chunk of the call at once; only a call with a signal can be aborted. */
  private readonly controller: AbortController | undefined;
  private readonly onAbort = () => this.abort(this.spec.signal!.reason, abortGraceMs);
  private disposed = false;
  /** Resolves when the call is over and no chunk of it is running. */
  readonly finished: Promise<void>;
  private resolveFinished!: () => void;

  constructor(private readonly spec: RunSpec) {
    this.controller = spec.signal ? new AbortController() : undefined;
    this.call = createCallState(spec.window);
    this.freeSlots = Array.from({ length: spec.window }, (_, i) => spec.window - 1 - i);
    this.finished = new Promise((resolve) => {
      this.resolveFinished = resolve;
    });
    if (spec.signal) {
      if (spec.signal.aborted) this.abort(spec.signal.reason);
      else spec.signal.addEventListener('abort', this.onAbort, { once: true });
    }
    if (spec.timeout !== undefined || Number.isFinite(spec.loadTimeout)) {
      const every = Math.max(
        5,
        Math.min((spec.timeout ?? spec.loadTimeout) / 4, spec.loadTimeout / 4, 250),
      );
      this.timeoutTimer = setInterval(() => this.checkTimeouts(), every).unref();
    }
    if (spec.onProgress)
      this.progressTimer = setInterval(() => this.reportProgress(true), progressIntervalMs).unref();
  }

  /** Whether this call's chunks go to `executor`. */
  runsOn(executor: Executor): boolean {
    return this.spec.executor === executor;
  }

  /** Whether each item's outcome is handed out (settle) rather than the first failure thrown. */
  get settles(): boolean {
    return this.spec.settle;
  }

  /** The next finished range, in completion order; undefined when every item is done. */
  async next(): Promise<Range | undefined> {
    for (;;) {
      const range = this.ready.shift();
      if (range) return range;
      if (this.failure) throw this.failure.error;
      const seen = this.events;
      await this.fill();
      if (this.events !== seen || this.ready.length > 0 || this.failure) continue;
      if (this.running.size === 0) {
        if (this.itemFailure) throw this.itemFailure;
        if (this.inputFailure) throw this.inputFailure.error;
        return undefined;
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  /**
   * An error the call's function left behind: the call fails with it, unless it settles or has
   * ended, when it goes to the pool (its `'error'` event).
   */
  strayError(error: Error): void {
    if (this.spec.settle || this.disposed || this.failure || this.itemFailure) {
      this.spec.onStray?.(error);
      return;
    }
    this.failure = { error };
    this.stop();
    this.wake();
  }

  /** Ends the call without stopping running items; their results are dropped. */
  stop(): void {
    if (!this.stopped) {
      this.stopped = true;
      Atomics.store(this.call.state, STOP, 1);
      void this.spec.source.close().catch(() => {});
    }
    this.settleIfIdle();
  }

  /**
   * Ends the call: no further item starts, `next()` throws `reason`, and chunks still running
   * after `graceMs` are stopped (their threads replaced).
   */
  abort(reason: unknown, graceMs = 0): void {
    this.failure ??= { error: reason };
    this.stop();
    this.wake();
    const kill = () => {
      this.controller?.abort(reason);
      for (const run of this.running.values()) run.controller?.abort(reason);
    };
    // a chunk that ends its current item within the grace period keeps its thread
    if (graceMs > 0 && this.running.size > 0) setTimeout(kill, graceMs).unref();
    else kill();
  }

  /** Releases timers and the abort listener. Safe to call more than once. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stop();
    // the timeout checks go on until the chunks still running end: a chunk left running by an
    // ended call is still bounded, so that it cannot hold its thread for ever
    clearInterval(this.progressTimer);
    this.spec.signal?.removeEventListener('abort', this.onAbort);
    this.reportProgress(false);
    this.settleIfIdle();
  }

  private async fill(): Promise<void> {
    while (this.freeSlots.length > 0 && !this.stopped) {
      let chunk = this.retry.shift();
      if (!chunk) {
        // an ordered consumer holding early ranges pauses the input, unless nothing would run
        if (
          this.sourceDone ||
          (this.running.size > 0 && this.spec.canDispatch && !this.spec.canDispatch())
        )
          return;
        try {
          chunk = await this.spec.source.next();
        } catch (error) {
          // the items read before keep running; the error comes after their outcomes
          this.inputFailure ??= { error };
          this.sourceDone = true;
          return;
        }
        if (this.stopped) return;
        if (!chunk) {
          this.sourceDone = true;
          return;
        }
      }
      this.dispatch(chunk);
    }
  }

  private dispatch(chunk: Chunk): void {
    const slot = this.freeSlots.pop()!;
    Atomics.store(this.call.state, 1 + slot, 0);
    this.call.startedAt[slot] = 0;
    // a chunk needs a signal of its own only to be stopped alone, when it runs past a bound
    const bounded = this.spec.timeout !== undefined || Number.isFinite(this.spec.loadTimeout);
    const controller = bounded ? new AbortController() : this.controller;
    const log =
      chunk.items.length > 1 && this.spec.executor.sharesMemory ? this.logOf(slot) : undefined;
    const run: Running = { chunk, slot, log, controller, timedOut: false };
    this.running.set(slot, run);
    const task = {
      callId: this.spec.callId,
      log,
      payload: this.spec.payload,
      mode: this.spec.mode,
      start: chunk.start,
      items: chunk.items,
      slot,
      call: this.call,
      stopOnError: !this.spec.settle,
      timed: this.spec.timeout !== undefined,
    };
    this.spec.executor
      .run(task, run.controller?.signal)
      .then(
        (message) => this.onReply(run, message),
        (error) => this.onReject(run, error),
      )
      .catch((error: unknown) => this.broken(run, error));
  }

  /**
   * Handling a chunk's outcome threw (a reply that cannot be read, or the caller's `onProgress`):
   * the call fails with that error rather than wait forever for the chunk.
   */
  private broken(run: Running, error: unknown): void {
    if (this.running.get(run.slot) === run) this.release(run);
    this.failure ??= { error };
    this.stop();
    this.wake();
  }

  private onReply(run: Running, message: ChunkReply | Uint8Array): void {
    // the thread is being replaced (maxTasksPerThread) and ran none of it: as if it had ended
    if (!(message instanceof Uint8Array) && message.retired) {
      this.onReject(run, new Error('its thread was being replaced (maxTasksPerThread)'));
      return;
    }
    this.release(run);
    const { reply, range } = readReply(message, run.chunk.start, run.chunk.items.length, run.log);
    for (const { kind, error } of reply.strays ?? [])
      this.strayError(new StrayError(kind, fromErrorRecord(error)));
    this.spec.onChunkDone?.(reply.done, reply.elapsedMs);
    this.emit(range);
  }

  private onReject(run: Running, reason: unknown): void {
    this.release(run);
    if (this.failure || (run.controller?.signal.aborted && !run.timedOut)) {
      this.wake();
      return;
    }
    if (reason instanceof ExecutorUnavailableError) {
      // nothing can run (a cluster's Redis or workers are gone): the whole call fails with why
      this.failure ??= { error: reason };
      this.stop();
      this.wake();
      return;
    }
    if ((reason as Error)?.name === 'DataCloneError' && this.failUncloneable(run.chunk)) return;
    if (run.timedOut === 'load') {
      this.failLoad(run.chunk);
      return;
    }
    // the thread died or was stopped mid-chunk: the items that had finished keep their outcomes
    // (from the log, never run again), the running item fails, and the items after it run again
    const { chunk } = run;
    const finished = Atomics.load(this.call.state, 1 + run.slot);
    // the thread ended before it started the chunk (it was being replaced): nothing ran
    if (
      this.spec.executor.sharesMemory &&
      finished === 0 &&
      this.call.startedAt[run.slot] === 0 &&
      !run.timedOut &&
      this.again(chunk)
    )
      return;
    // outcomes that can be read back: a chunk of one item has no log, and a remote worker none
    const kept = run.log ? finished : 0;
    if (kept > 0) {
      const logged = readResultLog(run.log!, kept);
      this.emit(toRange(logged, kept, chunk.start));
    }
    if (kept >= chunk.items.length) {
      // every item had ended: the thread died after them, which no item is to blame for
      this.strayError(new StrayError('its thread then died', reason));
      return;
    }
    const index = chunk.start + kept;
    const error =
      run.timedOut === 'item'
        ? new TaskTimeoutError(index, this.spec.timeout!)
        : new WorkerCrashedError(index, reason, exitCodeOf(reason), this.spec.resourceLimits);
    if (kept + 1 < chunk.items.length)
      this.retry.push({ start: index + 1, items: chunk.items.slice(kept + 1) });
    this.emit(failed(index, error));
  }

  private logOf(slot: number): SharedArrayBuffer {
    const log = this.logs[slot] ?? createResultLog();
    this.logs[slot] = log;
    return log;
  }

  /** Sends a chunk none of whose items ran to a thread again; false when that was tried too often. */
  private again(chunk: Chunk): boolean {
    const tries = (this.unstarted.get(chunk) ?? 0) + 1;
    this.unstarted.set(chunk, tries);
    if (tries > maxUnstartedTries) return false;
    // first in line, in input order (an ordered consumer waits for the earliest)
    this.retry.push(chunk);
    this.retry.sort((a, b) => a.start - b.start);
    this.wake();
    return true;
  }

  /**
   * The chunk could not be posted, so nothing of it ran: the items that cannot be cloned fail,
   * each with the DataCloneError and where in it the culprit is, and the others go again.
   * False when no single item is at fault.
   */
  private failUncloneable(chunk: Chunk): boolean {
    const bad = uncloneableItems(chunk.items);
    if (bad.length === 0) return false;
    let from = 0;
    for (const { position } of bad) {
      if (position > from)
        this.retry.push({ start: chunk.start + from, items: chunk.items.slice(from, position) });
      from = position + 1;
    }
    if (from < chunk.items.length)
      this.retry.push({ start: chunk.start + from, items: chunk.items.slice(from) });
    for (const item of bad) {
      const index = chunk.start + item.position;
      this.emit(failed(index, itemNotCloneable(index, item)));
    }
    return true;
  }

  private emit(range: Range): void {
    this.ready.push(range);
    this.completed += range.values.length;
    const failures = range.failures?.size ?? 0;
    for (const error of range.failures?.values() ?? []) {
      if (this.spec.origin) explain(error, this.spec.payload, this.spec.origin);
      // without settle, the first failure ends the call
      if (!this.spec.settle) {
        this.itemFailure ??= error;
        this.stop();
      }
    }
    this.spec.onOutcomes?.(range.values.length - failures, failures);
    this.reportProgress(false);
    this.wake();
  }

  private release(run: Running): void {
    this.running.delete(run.slot);
    this.freeSlots.push(run.slot);
    this.settleIfIdle();
  }

  private wake(): void {
    this.events++;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  private settleIfIdle(): void {
    if (this.stopped && this.running.size === 0) {
      clearInterval(this.timeoutTimer);
      this.resolveFinished();
    }
  }

  private checkTimeouts(): void {
    const now = Date.now();
    for (const run of this.running.values()) {
      const started = this.call.startedAt[run.slot]!;
      if (run.timedOut) continue;
      if (started < 0 && now + started > this.spec.loadTimeout) run.timedOut = 'load';
      else if (started > 0 && this.spec.timeout !== undefined && now - started > this.spec.timeout)
        run.timedOut = 'item';
      if (run.timedOut) run.controller?.abort();
    }
  }

  /** The closure did not load within `loadTimeout`: the chunk's items fail, naming what it imports. */
  private failLoad(chunk: Chunk): void {
    let modules = '';
    try {
      const urls = readTrustedFrame(this.spec.payload.frame).body.modules.map((m) => m.url);
      if (urls.length > 0) modules = ` (importing ${urls.join(', ')})`;
    } catch {
      // the frame is this process's own: it parses
    }
    const failures = new Map<number, TaskError>();
    // by position, not forEach: a chunk sliced from a sparse array has holes
    for (let position = 0; position < chunk.items.length; position++) {
      const index = chunk.start + position;
      const message = `Item ${index}: loading the closure${modules} took longer than loadTimeout (${this.spec.loadTimeout} ms); its thread was stopped and replaced.`;
      failures.set(position, new TaskError(index, undefined, ErrorCode.LOAD_TIMEOUT, message));
    }
    this.emit({
      start: chunk.start,
      values: new Array(chunk.items.length).fill(undefined),
      failures,
    });
  }

  private reportProgress(includeRunning: boolean): void {
    if (!this.spec.onProgress) return;
    let completed = this.completed;
    if (includeRunning)
      for (const run of this.running.values())
        completed += Atomics.load(this.call.state, 1 + run.slot);
    if (completed <= this.reported) return;
    this.reported = completed;
    this.spec.onProgress(
      this.spec.total === undefined ? { completed } : { completed, total: this.spec.total },
    );
  }
}

/**
 * Points an item's error at the user's code: its cause's frames in the rebuilt function moved to
 * where the function was written, and the TaskError's stack made of those frames, then the frames
 * of the call to the pool. Done when the error is made (errors are few); never fails the call.
 */
export function explain(error: TaskError, payload: PayloadHandle, origin: CallOrigin): void {
  try {
    const origins = originsOf(payload, origin);
    const cause = error.cause as { stack?: unknown } | undefined;
    if (cause && typeof cause === 'object' && typeof cause.stack === 'string')
      cause.stack = userStack(cause.stack, origins);
    const inWorker = framesOf(typeof cause?.stack === 'string' ? cause.stack : undefined);
    const called = framesOf(origin.site?.stack);
    error.stack = [
      `${error.name}: ${error.message}`,
      ...(inWorker ? [inWorker] : []),
      ...(called ? ['    --- the call to the pool ---', called] : []),
    ].join('\n');
  } catch {
    // a stack that cannot be improved stays as it was
  }
}

/** A function of a payload, as its frame tells: no function object, so a cache of these holds none. */
interface FrameFunction {
  readonly script: string;
  readonly name: string | undefined;
  readonly root: boolean;
  readonly source: string;
  readonly line: number;
  readonly column: number;
}

/**
 * A payload frame's functions, parsed once: a call whose items fail by the thousand parses it
 * once. Kept for as long as the frame is (the payload cache's), so they hold no function: a
 * function's closure can hold anything, which must go when its call has ended (CPython's
 * test_release_task_refs).
 */
const functionsByFrame = new WeakMap<Uint8Array, readonly FrameFunction[]>();
/** Each call's origins: its own functions, for as long as the call's origin is held. */
const originsByCall = new WeakMap<CallOrigin, Origins>();

/** The functions of a payload whose frames can be moved: the one called, and captured ones. */
function originsOf(payload: PayloadHandle, origin: CallOrigin): Origins {
  let origins = originsByCall.get(origin);
  if (!origins) {
    let functions = functionsByFrame.get(payload.frame);
    if (!functions) {
      functions = frameFunctions(payload.frame);
      functionsByFrame.set(payload.frame, functions);
    }
    origins = matchOrigins(functions, origin);
    originsByCall.set(origin, origins);
  }
  return origins;
}

function frameFunctions(frame: Uint8Array): FrameFunction[] {
  const { body } = readTrustedFrame(frame);
  const rootId = 'fn' in body.root ? body.root.fn : undefined;
  return body.functions.map((node, id) => ({
    script: scriptName(node),
    name: node.name,
    root: id === rootId,
    source: node.source,
    ...sourcePosition(node),
  }));
}

/** The call's function for each of the frame's: the root, and captured functions by name. */
function matchOrigins(functions: readonly FrameFunction[], { fn, capture }: CallOrigin): Origins {
  const origins = new Map<string, { fn: Function; source: string; line: number; column: number }>();
  const add = ({ script, source, line, column }: FrameFunction, f: Function) =>
    origins.set(script, { fn: f, source, line, column });
  const root = functions.find((f) => f.root);
  if (root) add(root, fn);
  const captured = Object.values(capture?.env ?? {}).filter(
    (v): v is Function => typeof v === 'function',
  );
  for (const node of functions) {
    const named = captured.find((f) => f.name === node.name);
    if (named && !origins.has(node.script)) add(node, named);
  }
  return origins;
}

/** The error of a call whose chunk's reply could not be read: a bug of ours, or of an executor. */
function unreadableReply(start: number, count: number, cause: unknown): ClosurePoolError {
  const items = count === 1 ? `item ${start}` : `items ${start}–${start + count - 1}`;
  return new ClosurePoolError(
    ErrorCode.INTERNAL_ERROR,
    `closure-pool could not read the outcome of ${items}: ${(cause as Error)?.message ?? cause}. Please report this.`,
    { cause },
  );
}

/**
 * A worker's reply to a chunk of `count` items as the range of the items it ran, numbered from
 * `start`; a reply that cannot be read throws an `INTERNAL_ERROR` naming the items.
 */
export function readReply(
  message: ChunkReply | Uint8Array,
  start: number,
  count: number,
  log?: SharedArrayBuffer,
): { reply: ChunkReply; range: Range } {
  try {
    const reply = message instanceof Uint8Array ? (deserialize(message) as ChunkReply) : message;
    const read = reply.logged ? readResultLog(log!, reply.done, reply.overflow) : reply;
    return { reply, range: toRange(read, reply.done, start) };
  } catch (error) {
    throw unreadableReply(start, count, error);
  }
}

function toRange(
  { values, errors }: { values: unknown[]; errors: [number, ErrorRecord][] },
  done: number,
  start: number,
): Range {
  const kept = values.length === done ? values : values.slice(0, done);
  if (errors.length === 0) return { start, values: kept };
  const failures = new Map<number, TaskError>();
  for (const [position, record] of [...errors].sort((a, b) => a[0] - b[0]))
    if (position < done) failures.set(position, taskError(start + position, record));
  return failures.size > 0 ? { start, values: kept, failures } : { start, values: kept };
}

function taskError(index: number, record: ErrorRecord): TaskError {
  const cause = fromErrorRecord(record);
  if (record.props.code === ErrorCode.RESULT_NOT_CLONEABLE) {
    return new TaskError(
      index,
      cause,
      ErrorCode.RESULT_NOT_CLONEABLE,
      `Item ${index}: ${record.message}`,
    );
  }
  return new TaskError(index, cause);
}
