// [both] The messages that cross the thread boundary. Types and layout only: no side effects.
import type { ErrorRecord } from './error-record.js';
import type { Overflow } from './result-log.js';

/** How the worker calls the function for each item. */
export type CallMode = 'item' | 'spread';

/** A payload sent once per call: the worker reads `frame` only when `id` is not in its cache. */
export interface PayloadHandle {
  /** Unique to the payload's content in the sending process. */
  readonly id: string;
  /** The payload's binary frame, in shared memory: posting it costs nothing, however large. */
  readonly frame: Uint8Array;
  /** SharedArrayBuffers the capture holds: posted beside the frame, the same memory there. */
  readonly shared?: readonly SharedArrayBuffer[];
}

/** What every thread of a pool is started with (its `workerData`). */
export interface WorkerSettings {
  /** Bytes of rebuilt closures (and their captured values) the thread keeps. */
  readonly cacheBytes: number;
  /** Chunks the thread runs before it exits, to be replaced by a fresh one. */
  readonly maxTasks: number;
  /** The pool's `init`: rebuilt and run once, before the thread's first item. */
  readonly init?: PayloadHandle;
}

/**
 * What a worker posts on its own (outside any reply): an error a call's function left behind,
 * after that call's chunk on this thread had ended.
 */
export interface StrayReport {
  readonly [STRAY]: true;
  /** The call it belongs to, when known. */
  readonly callId: number | undefined;
  readonly kind: 'uncaughtException' | 'unhandledRejection';
  readonly error: ErrorRecord;
}

export const STRAY = 'closure-pool:stray';

export function isStrayReport(message: unknown): message is StrayReport {
  return typeof message === 'object' && message !== null && STRAY in message;
}

/**
 * Shared state of one pool call, read and written by both sides without messages:
 * `state[0]` is the stop flag (the worker starts no further item once it is set), and for each
 * in-flight slot `state[1 + slot]` counts items finished and `startedAt[slot]` says when the
 * closure started loading (negated, while it loads) or the current item started (ms since the
 * epoch; 0 while the chunk waits in the queue).
 */
export interface CallState {
  readonly state: Int32Array;
  readonly startedAt: Float64Array;
}

export const STOP = 0;

export function createCallState(slots: number): CallState {
  // one buffer: the Float64 times first (8-byte aligned), then the Int32 counters
  const memory = new SharedArrayBuffer(
    Float64Array.BYTES_PER_ELEMENT * slots + Int32Array.BYTES_PER_ELEMENT * (1 + slots),
  );
  return {
    startedAt: new Float64Array(memory, 0, slots),
    state: new Int32Array(memory, Float64Array.BYTES_PER_ELEMENT * slots, 1 + slots),
  };
}

/** One chunk of items for one worker. */
export interface ChunkTask {
  /** Which pool call the chunk belongs to, for the errors its function leaves behind. */
  readonly callId?: number;
  readonly payload: PayloadHandle;
  readonly mode: CallMode;
  /** The index of `items[0]` in the whole input. */
  readonly start: number;
  readonly items: readonly unknown[];
  readonly slot: number;
  /** Absent for a single direct call, which nothing watches. */
  readonly call?: CallState;
  /** Stop at the first failing item (unless the call settles every item). */
  readonly stopOnError: boolean;
  /** The call has a `timeout`: the worker writes when each item starts, not only the chunk. */
  readonly timed?: boolean;
  /** Where the worker writes each item's outcome as it ends (chunks of more than one item). */
  readonly log?: SharedArrayBuffer;
  /**
   * One direct call (`apply`): a primitive result that is all there is to say (no error, nothing
   * left behind, no retirement) comes back as the reply itself, not in a `ChunkReply`.
   */
  readonly bare?: true;
  /**
   * One direct call of a payload the pool's threads have run before: an executor may leave its
   * frame out, and a thread that does not hold the closure then answers `missing`.
   */
  readonly sent?: true;
}

/** The chunk a direct call (`apply`) posts: `fn(...args)` alone, its result bare if `bare`. */
export function directCallTask(
  callId: number,
  payload: PayloadHandle,
  args: unknown[],
  bare: boolean,
  sent = false,
): ChunkTask {
  const task: { -readonly [K in keyof ChunkTask]: ChunkTask[K] } = {
    callId,
    payload,
    mode: 'spread',
    start: 0,
    items: [args],
    slot: 0,
    stopOnError: true,
  };
  // (set, not spread in: this runs for every repeated apply)
  if (bare) task.bare = true;
  if (sent) task.sent = true;
  return task;
}

/**
 * A direct call's chunk as it crosses to a thread of this process: the fields one call uses, in an
 * array, and its frame only if the threads may not hold the closure yet (`ChunkTask.sent`).
 * Structured clone writes every key of an object, and the bytes of a frame, at each call: the
 * whole `ChunkTask` made a round trip ~10% slower than a bare `[6, 7]`, and a frame of 266 bytes
 * 5–7% (A/B of message shapes on a plain Piscina worker, in one process, 300 rounds).
 */
export type DirectMessage = readonly [
  callId: number,
  id: string,
  frame: Uint8Array | undefined,
  args: unknown[],
  bare: boolean,
  shared?: readonly SharedArrayBuffer[],
];

/** A task made by `directCallTask`, as its `DirectMessage`; any other task: undefined. */
export function toDirectMessage(task: ChunkTask): DirectMessage | undefined {
  const { callId, payload, items, call, log, timed } = task;
  if (callId === undefined || call || log || timed || task.mode !== 'spread' || items.length !== 1)
    return undefined;
  if (task.start !== 0 || task.slot !== 0 || !task.stopOnError) return undefined;
  const args = items[0] as unknown[];
  const bare = task.bare === true;
  if (task.sent) return [callId, payload.id, undefined, args, bare];
  return payload.shared
    ? [callId, payload.id, payload.frame, args, bare, payload.shared]
    : [callId, payload.id, payload.frame, args, bare];
}

/** The task a `DirectMessage` stands for: one whose frame is left out only if its closure is held. */
export function fromDirectMessage([
  callId,
  id,
  frame,
  args,
  bare,
  shared,
]: DirectMessage): ChunkTask {
  const payload = { id, frame: frame ?? new Uint8Array(0), ...(shared ? { shared } : {}) };
  return directCallTask(callId, payload, args, bare);
}

/** A reply is a bare result (see `ChunkTask.bare`) when it is not an object. */
export function isBareResult(
  reply: unknown,
): reply is string | number | bigint | boolean | null | undefined {
  return reply === null || typeof reply !== 'object';
}

/** What a worker sends back for a chunk: as it is, or as `v8.serialize` bytes when values are not all primitives. */
export interface ChunkReply {
  /** Items run, from the start of the chunk; fewer than sent when the stop flag or a failure ended it. */
  readonly done: number;
  /** One per item run; `undefined` where the item failed. */
  readonly values: unknown[];
  /** Failures, by position in the chunk. */
  readonly errors: [position: number, error: ErrorRecord][];
  /** How long the chunk ran in the worker, for adaptive chunk sizes. */
  readonly elapsedMs: number;
  /** The outcomes are in the task's log (`values` and `errors` are then empty)... */
  readonly logged?: true;
  /** ...but for those too large for it. */
  readonly overflow?: Overflow[];
  /** Errors the call's function left behind while the chunk ran (a timer's throw, a rejection nobody awaited). */
  readonly strays?: Omit<StrayReport, typeof STRAY | 'callId'>[];
  /** The thread is being replaced (`maxTasksPerThread`) and did not run this chunk: send it again. */
  readonly retired?: true;
  /**
   * A direct call sent without its frame (`ChunkTask.sent`) reached a thread that does not hold
   * its closure, and did not run: send it again, with the frame.
   */
  readonly missing?: true;
  /** This was the thread's last chunk: the executor stops the thread (by this id) and starts another. */
  readonly retiring?: number;
}

/** A thread's answer that it lacks the closure of a direct call sent without its frame. */
export function isMissing(reply: unknown): boolean {
  return typeof reply === 'object' && reply !== null && (reply as ChunkReply).missing === true;
}
