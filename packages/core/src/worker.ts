// [worker] The file each pool thread runs: rebuild the closure (once per payload) and run the pool's
// `init` (once per thread), call the function on each item of a chunk, write each outcome to the
// chunk's shared log as it ends, and send back the reply, with the errors the function left behind
// and the buffers `transfer()` moves.
import { AsyncLocalStorage } from 'node:async_hooks';
import { deserialize, serialize } from 'node:v8';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import {
  BoundedCache,
  DEFAULT_CACHE_BYTES,
  deserializeClosure,
  ErrorCode,
} from '@closure-pool/serializer/decode';
import { type ErrorRecord, toErrorRecord } from './error-record.js';
import { guardIntrinsics } from './intrinsics.js';
import { plainJson } from './plain-json.js';
import {
  type ChunkReply,
  type ChunkTask,
  type DirectMessage,
  fromDirectMessage,
  type PayloadHandle,
  STOP,
  STRAY,
  type StrayReport,
  type WorkerSettings,
} from './protocol.js';
import { type Overflow, ResultWriter } from './result-log.js';
import { movableBuffer, TRANSFER } from './transfer.js';

const settings = workerData as Partial<WorkerSettings> | undefined;
/**
 * Rebuilt closures by payload hash, least recently used out: at most 256, and at most `cacheBytes`
 * counted by the size of their payloads (what their captured values take, near enough).
 */
const closures = new BoundedCache<string, Function>(
  256,
  settings?.cacheBytes ?? DEFAULT_CACHE_BYTES,
);
/** Payloads being rebuilt (an import in flight), so two chunks do not rebuild one twice. */
const pending = new Map<string, Promise<Function>>();

/** The closure for a payload: rebuilt on first use, then cached (a lookup, no await). */
function load(payload: PayloadHandle): Function | Promise<Function> {
  const fn = closures.get(payload.id);
  if (fn) return fn;
  let rebuilt = pending.get(payload.id);
  if (!rebuilt) {
    // the frame comes from this process's main thread, which made it or checked it
    rebuilt = deserializeClosure(payload.frame, { trusted: true, shared: payload.shared }).then(
      (fn) => {
        closures.set(payload.id, fn, payload.frame.byteLength);
        return fn;
      },
    );
    pending.set(payload.id, rebuilt);
    void rebuilt.then(
      () => pending.delete(payload.id),
      () => pending.delete(payload.id),
    );
  }
  return rebuilt;
}

/** What the pool's `init` returned on this thread (a promise, run once, on the first chunk). */
let context: Promise<unknown> | undefined;

function initialize(init: PayloadHandle): Promise<unknown> {
  context ??= deserializeClosure(init.frame, { trusted: true, shared: init.shared }).then((fn) =>
    fn(),
  );
  return context.catch((error: unknown) => {
    throw Object.assign(
      new Error(`The pool's init failed on this thread: ${(error as Error)?.message ?? error}`, {
        cause: error,
      }),
      { name: 'InitError' },
    );
  });
}

/** How many closures this thread holds compiled (bounded by the cache's limit). */
export function cachedClosures(): number {
  return closures.size;
}

/** Which call a chunk's function belongs to, carried into the timers and promises it starts. */
const owners = new AsyncLocalStorage<number | undefined>();
/** The chunk running now, collecting the errors its call's function leaves behind meanwhile. */
let running: Running | undefined;
interface Running {
  readonly callId: number | undefined;
  readonly strays: NonNullable<ChunkReply['strays']>;
}
/** The call whose chunk ran last: the owner of a stray error whose context was lost. */
let lastCallId: number | undefined;
let chunksRun = 0;
/** Past `maxTasks`: the caller stops the thread, which answers chunks that reach it meanwhile with `retired`. */
let retiring = false;

// An error nobody catches would end the thread, and with it the items of whatever chunk runs next:
// it goes to the call whose function left it behind instead (in its chunk's reply, or posted).
process.on('uncaughtException', (error) => strayed('uncaughtException', error));
process.on('unhandledRejection', (reason) => strayed('unhandledRejection', reason));

function strayed(kind: 'uncaughtException' | 'unhandledRejection', thrown: unknown): void {
  const callId = owners.getStore() ?? running?.callId ?? lastCallId;
  const error = toErrorRecord(thrown);
  if (running && running.callId === callId) running.strays.push({ kind, error });
  else parentPort?.postMessage({ [STRAY]: true, callId, kind, error } satisfies StrayReport);
}

// kept from the thread's start: a function may replace them while its chunk runs, or between
// chunks (the guard puts them back after a chunk, not before the next)
const { isArray } = Array;
const { load: atomicLoad, store: atomicStore } = Atomics;
const { now } = Date;
const clock = performance.now.bind(performance);
const { setTimeout: later, clearTimeout: cancel } = globalThis;

export default function runChunk(message: ChunkTask | DirectMessage): unknown {
  return isArray(message) ? runDirect(message as DirectMessage) : runTask(message as ChunkTask);
}

function runTask(task: ChunkTask): Promise<unknown> | ChunkReply {
  if (retiring) return { done: 0, values: [], errors: [], elapsedMs: 0, retired: true };
  const chunk: Running = { callId: task.callId, strays: [] };
  running = chunk;
  lastCallId = task.callId;
  return owners.run(task.callId, runItems, task).then(
    (ran) => replyWhenSent(chunk, ran, task.bare === true),
    (error) => {
      running = undefined;
      throw error;
    },
  );
}

/**
 * A direct call (`apply`) of a closure this thread holds: called at once, without the chunk's
 * promises, and a primitive result with nothing else to say returned as it is. A thread is woken
 * for each such call, and what it runs between the message and the reply runs cold: through
 * `runTask` the round trip measured ~1.3× raw Piscina's, through this as fast as a handler that
 * returns a constant (1.06× and 1.07×; A/B in one process, 60 rounds of 500 calls). Sent without
 * its frame (`ChunkTask.sent`), a closure this thread does not hold is answered `missing`.
 */
function runDirect(message: DirectMessage): unknown {
  const [callId, id, frame, args, bare] = message;
  const fn = closures.get(id);
  if (fn === undefined && frame === undefined && !pending.has(id))
    return { done: 0, values: [], errors: [], elapsedMs: 0, missing: true } satisfies ChunkReply;
  if (fn === undefined || settings?.init || retiring) return runTask(fromDirectMessage(message));
  const began = clock();
  const chunk: Running = { callId, strays: [] };
  running = chunk;
  lastCallId = callId;
  let value: unknown;
  let thenable: boolean;
  try {
    value = owners.run(callId, fn as (...args: unknown[]) => unknown, ...args);
    thenable =
      value !== null && typeof value === 'object' && typeof (value as any).then === 'function';
  } catch (thrown) {
    return directReply(chunk, thrown, true, began, bare);
  }
  if (thenable) {
    // (in the call's context: a thenable's own `then` runs as part of the call)
    return owners.run(callId, async () => {
      try {
        return directReply(chunk, await value, false, began, bare);
      } catch (thrown) {
        return directReply(chunk, thrown, true, began, bare);
      }
    });
  }
  return directReply(chunk, value, false, began, bare);
}

/**
 * A direct call's reply, from its result (or what it threw, when `failed`): the result alone when
 * that says all, else the reply a chunk sends.
 */
function directReply(
  chunk: Running,
  value: unknown,
  failed: boolean,
  began: number,
  bare: boolean,
): unknown {
  guardIntrinsics();
  const last = chunksRun + 1 >= (settings?.maxTasks ?? Number.POSITIVE_INFINITY);
  const alone = bare && !failed && isPrimitive(value) && chunk.strays.length === 0 && !last;
  if (alone && !holdsOutput(process.stdout) && !holdsOutput(process.stderr)) {
    running = undefined;
    chunksRun++;
    return value;
  }
  const moved: ArrayBuffer[] = [];
  if (!failed) value = unwrapTransfer(value, moved);
  const reply: ChunkReply = {
    done: 1,
    values: [failed ? undefined : value],
    errors: failed ? [[0, toErrorRecord(value)]] : [],
    elapsedMs: clock() - began,
  };
  return replyWhenSent(chunk, { reply: moved.length > 0 ? reply : encode(reply), moved }, bare);
}

/** The function's items ran: the reply, once the output they wrote has gone (`outputSent`). */
function replyWhenSent(chunk: Running, ran: Ran, bare: boolean): unknown {
  const finish = () => {
    running = undefined;
    const reply = finalReply(ran.reply, chunk.strays);
    if (ran.moved.length > 0) return moveWith(reply, ran.moved);
    return bare ? bareOr(reply) : reply;
  };
  const sent = outputSent();
  return sent ? sent.then(finish) : finish();
}

/** How long a reply waits for output the main thread is not taking (its own stdout closed). */
const OUTPUT_WAIT_MS = 1_000;

/**
 * Once what the function wrote to stdout and stderr has reached the main thread, when some of it
 * is still held here: a thread's streams pass it on one batch at a time, after the main thread took
 * the one before, and the reply must not overtake it (a `console.log` in an item would show after
 * the caller's own next line, or after its process ended). Piscina waits the same way in its
 * default thread mode, not in the one the pool uses. Never longer than OUTPUT_WAIT_MS, nor for a
 * stream the function corked, ended or destroyed (a write there would fail, or never end).
 */
function outputSent(): Promise<void> | undefined {
  const { stdout, stderr } = process;
  if (!holdsOutput(stdout) && !holdsOutput(stderr)) return undefined;
  const streams = [stdout, stderr].filter(holdsOutput);
  return new Promise((resolve) => {
    const timer = later(resolve, OUTPUT_WAIT_MS);
    let waiting = streams.length;
    const sent = () => {
      if (--waiting > 0) return;
      cancel(timer);
      resolve();
    };
    // an empty write's callback runs once every write before it has been taken
    for (const stream of streams) stream.write('', sent);
  });
}

function holdsOutput(stream: unknown): stream is NodeJS.WriteStream {
  // (a function may have replaced process.stdout with anything)
  if (stream === null || typeof stream !== 'object') return false;
  const held = stream as NodeJS.WriteStream;
  return (
    held.writableLength > 0 && held.writableCorked === 0 && !held.writableEnded && !held.destroyed
  );
}

/** The reply with what the worker adds after the items: errors left behind, its retirement. */
function finalReply(
  reply: ChunkReply | Uint8Array,
  strays: NonNullable<ChunkReply['strays']>,
): ChunkReply | Uint8Array {
  // the last chunk before the thread is replaced says so in its reply, as a plain object that
  // the executor reads: the caller stops the thread once this reply has reached it (a thread
  // that exited by itself could lose the reply on the way)
  retiring = ++chunksRun >= (settings?.maxTasks ?? Number.POSITIVE_INFINITY);
  if (strays.length === 0 && !retiring) return reply;
  const whole = reply instanceof Uint8Array ? (deserialize(reply) as ChunkReply) : reply;
  const extra = { ...whole, strays };
  return retiring ? { ...extra, retiring: threadId } : encode(extra);
}

/** A direct call's primitive result alone, when the reply says nothing else (`ChunkTask.bare`). */
function bareOr(reply: ChunkReply | Uint8Array): unknown {
  if (reply instanceof Uint8Array) return reply;
  const { done, values, errors, logged, strays, retiring } = reply;
  // (a logged reply's values are in the chunk's log, not here)
  const alone = done === 1 && errors.length === 0 && !logged && !strays && retiring === undefined;
  return alone && isPrimitive(values[0]) ? values[0] : reply;
}

/**
 * The reply as Piscina moves it: the buffers in its transfer list. Piscina's own `move()`, from
 * the copy of Piscina running this thread (its marker is private to that copy).
 */
async function moveWith(reply: ChunkReply | Uint8Array, buffers: ArrayBuffer[]) {
  const piscina = (await import('piscina')) as unknown as {
    move?: Function;
    default?: { move: Function };
  };
  const move = (piscina.move ?? piscina.default!.move) as (value: object) => object;
  return move({
    [Symbol.for('Piscina.transferable')]: buffers,
    [Symbol.for('Piscina.valueOf')]: reply,
  });
}

/** A chunk's reply, and the buffers of the results `transfer()` moves. */
interface Ran {
  readonly reply: ChunkReply | Uint8Array;
  readonly moved: ArrayBuffer[];
}

async function runItems(task: ChunkTask): Promise<Ran> {
  const began = clock();
  const moved: ArrayBuffer[] = [];
  const values: unknown[] = [];
  const errors: ChunkReply['errors'] = [];
  let fn: Function;
  let shared: unknown;
  const init = settings?.init;
  try {
    const loaded = load(task.payload);
    if (typeof loaded === 'function' && !init) fn = loaded;
    else {
      // loading (compiling, importing modules): a negative start time, which `loadTimeout` bounds
      if (task.call && typeof loaded !== 'function') task.call.startedAt[task.slot] = -now();
      if (init) shared = await initialize(init);
      fn = await loaded;
    }
  } catch (error) {
    // the payload cannot be rebuilt: every item of the chunk fails with the same error
    const record = toErrorRecord(error);
    const reply = encode({
      done: task.items.length,
      // by position, not map(): a chunk sliced from a sparse array has holes
      values: Array.from({ length: task.items.length }, () => undefined),
      errors: Array.from({ length: task.items.length }, (_, position) => [position, record]),
      elapsedMs: clock() - began,
    });
    return { reply, moved };
  }
  const { state, startedAt } = task.call ?? {};
  // each item's start is written only for a call's `timeout`, which watches it (Date.now() costs
  // ~50 ns, most of an item's own cost here); otherwise once: the chunk started (Runner.onReject)
  const timed = task.timed === true && startedAt !== undefined;
  if (startedAt && !timed) startedAt[task.slot] = now();
  // outcomes go to the shared log as each item ends, so that a thread dying mid-chunk loses none
  const log = task.log ? new ResultWriter(task.log, task.items.length) : undefined;
  const overflow: Overflow[] = [];
  let failed = false;
  let done = 0;
  for (const item of task.items) {
    if (state && atomicLoad(state, STOP) !== 0) break;
    if (timed) startedAt[task.slot] = now();
    const index = task.start + done;
    let value: unknown;
    let error: ErrorRecord | undefined;
    try {
      value =
        task.mode === 'spread'
          ? fn(...(item as unknown[]))
          : init
            ? fn(item, index, shared)
            : fn(item, index);
      if (value !== null && typeof value === 'object' && typeof (value as any).then === 'function')
        value = await value;
    } catch (thrown) {
      error = toErrorRecord(thrown);
    }
    const movedBefore = moved.length;
    if (error === undefined) value = unwrapTransfer(value, moved);
    const buffer = moved.length > movedBefore;
    if (log) {
      if (error === undefined) {
        try {
          // a moved value goes in the reply, its buffer in the reply's transfer list
          if (buffer) log.inReply(done);
          if (buffer || !log.value(done, value)) overflow[overflow.length] = [done, value, false];
        } catch (cloneError) {
          error = notCloneable(value, cloneError);
        }
      }
      if (error !== undefined && !log.error(done, error))
        overflow[overflow.length] = [done, error, true];
    } else {
      // by index, not push(): the function may have replaced Array.prototype.push
      values[done] = error === undefined ? value : undefined;
      if (error !== undefined) errors[errors.length] = [done, error];
    }
    failed ||= error !== undefined;
    done++;
    if (state) atomicStore(state, 1 + task.slot, done);
    if (task.stopOnError && failed) break;
  }
  if (startedAt) startedAt[task.slot] = 0;
  // the function may have replaced built-ins the reply, Piscina and the next chunks rely on
  guardIntrinsics();
  const elapsedMs = clock() - began;
  if (log) return { reply: { done, values, errors, elapsedMs, logged: true, overflow }, moved };
  // a reply with moved buffers goes as it is: serializing it would copy them
  const reply = { done, values, errors, elapsedMs };
  return { reply: moved.length > 0 ? reply : encode(reply), moved };
}

/** `transfer(value)`: the value, its buffer added to `moved` when it can move as a whole. */
function unwrapTransfer(value: unknown, moved: ArrayBuffer[]): unknown {
  if (value === null || typeof value !== 'object' || !(TRANSFER in value)) return value;
  const inner = (value as { [TRANSFER]: unknown })[TRANSFER];
  const buffer = movableBuffer(inner);
  if (buffer) moved[moved.length] = buffer;
  return inner;
}

/**
 * The reply as it goes back. Primitives and small plain data go as they are (the thread's own clone);
 * anything else is serialized here first, so that a value that cannot be cloned fails only its
 * own item instead of the whole chunk.
 */
function encode(reply: ChunkReply): ChunkReply | Uint8Array {
  if (reply.values.every(clonesAsIs)) return reply;
  try {
    return serialize(reply);
  } catch {
    reply.values.forEach((value, position) => {
      try {
        serialize(value);
      } catch (error) {
        reply.values[position] = undefined;
        reply.errors.push([position, notCloneable(value, error)]);
      }
    });
    reply.errors.sort((a, b) => a[0] - b[0]);
    return serialize(reply);
  }
}

function notCloneable(value: unknown, error: unknown) {
  const kind =
    typeof value === 'function'
      ? 'a function'
      : `a value of type ${Object.prototype.toString.call(value).slice(8, -1)}`;
  const record = toErrorRecord(error);
  return {
    ...toErrorRecord(
      new Error(
        `The function returned ${kind}, which cannot be sent back to the main thread (${record.message}). ` +
          'Return plain data: what structuredClone accepts.',
      ),
    ),
    name: 'ResultNotCloneableError',
    props: { code: ErrorCode.RESULT_NOT_CLONEABLE },
  };
}

/** A value Piscina's structured clone is sure to copy, and exactly: no need to serialize it first. */
function clonesAsIs(value: unknown): boolean {
  return isPrimitive(value) || plainJson(value) !== undefined;
}

function isPrimitive(value: unknown): boolean {
  return (
    value === null ||
    (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol')
  );
}
