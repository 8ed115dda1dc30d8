// [worker] The file each pool thread runs: rebuild the closure (once per payload), call it on each
// item of a chunk, and send back values and rebuilt-able errors.
import { serialize } from 'node:v8';
import { workerData } from 'node:worker_threads';
import {
  BoundedCache,
  DEFAULT_CACHE_BYTES,
  deserializeClosure,
  ErrorCode,
} from '@closure-pool/serializer/decode';
import { toErrorRecord } from './error-record.js';
import { guardIntrinsics } from './intrinsics.js';
import {
  type ChunkReply,
  type ChunkTask,
  type PayloadHandle,
  STOP,
  type WorkerSettings,
} from './protocol.js';

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
    rebuilt = deserializeClosure(payload.frame, { trusted: true }).then((fn) => {
      closures.set(payload.id, fn, payload.frame.byteLength);
      return fn;
    });
    pending.set(payload.id, rebuilt);
    void rebuilt.then(
      () => pending.delete(payload.id),
      () => pending.delete(payload.id),
    );
  }
  return rebuilt;
}

/** How many closures this thread holds compiled (bounded by the cache's limit). */
export function cachedClosures(): number {
  return closures.size;
}

export default async function runChunk(task: ChunkTask): Promise<ChunkReply | Uint8Array> {
  const began = performance.now();
  const values: unknown[] = [];
  const errors: ChunkReply['errors'] = [];
  let fn: Function;
  try {
    const loaded = load(task.payload);
    if (typeof loaded === 'function') fn = loaded;
    else {
      // loading (compiling, importing modules): a negative start time, which `loadTimeout` bounds
      if (task.call) task.call.startedAt[task.slot] = -Date.now();
      fn = await loaded;
    }
  } catch (error) {
    // the payload cannot be rebuilt: every item of the chunk fails with the same error
    const record = toErrorRecord(error);
    return encode({
      done: task.items.length,
      values: task.items.map(() => undefined),
      errors: task.items.map((_, position) => [position, record]),
      elapsedMs: performance.now() - began,
    });
  }
  const { state, startedAt } = task.call ?? {};
  let done = 0;
  for (const item of task.items) {
    if (state && Atomics.load(state, STOP) !== 0) break;
    if (startedAt) startedAt[task.slot] = Date.now();
    const index = task.start + done;
    try {
      let value = task.mode === 'spread' ? fn(...(item as unknown[])) : fn(item, index);
      if (value !== null && typeof value === 'object' && typeof value.then === 'function')
        value = await value;
      // by index, not push(): the function may have replaced Array.prototype.push
      values[done] = value;
    } catch (error) {
      values[done] = undefined;
      errors[errors.length] = [done, toErrorRecord(error)];
    }
    done++;
    if (state) Atomics.store(state, 1 + task.slot, done);
    if (task.stopOnError && errors.length > 0) break;
  }
  if (startedAt) startedAt[task.slot] = 0;
  // the function may have replaced built-ins the reply, Piscina and the next chunks rely on
  guardIntrinsics();
  return encode({ done, values, errors, elapsedMs: performance.now() - began });
}

/**
 * The reply as it goes back. Plain values go as they are (the thread's own structured clone);
 * anything else is serialized here first, so that a value that cannot be cloned fails only its
 * own item instead of the whole chunk.
 */
function encode(reply: ChunkReply): ChunkReply | Uint8Array {
  if (reply.values.every(isPrimitive)) return reply;
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

function isPrimitive(value: unknown): boolean {
  return (
    value === null ||
    (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol')
  );
}
