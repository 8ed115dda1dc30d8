// What the apply scenarios post and how they time it: the chunk of one call, and µs per call.
import type { ChunkTask } from '@closure-pool/core';
import { encodeClosure } from '@closure-pool/serializer';
import { time } from './stats.js';

/** The one-item chunk of `fn(...args)` that `apply` posts, its payload whole. */
export function applyChunk(fn: Function, args: unknown[]): ChunkTask {
  const { id, frame } = encodeClosure(fn);
  return {
    callId: 1,
    payload: { id, frame },
    mode: 'spread',
    start: 0,
    items: [args],
    slot: 0,
    stopOnError: true,
  };
}

/** A measurement: µs per call of `call`, made `calls` times in a row. */
export function usPerCall(calls: number, call: () => unknown): () => Promise<number> {
  return async () =>
    ((await time(async () => {
      for (let i = 0; i < calls; i++) await call();
    })) *
      1000) /
    calls;
}
