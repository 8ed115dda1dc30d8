// What the apply scenarios post: the chunk of one call.
import type { ChunkTask } from '@closure-pool/core';
import { encodeClosure } from '@closure-pool/serializer';

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
