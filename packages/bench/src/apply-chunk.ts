// What the apply scenarios post: the chunk of one call.
import { type ChunkTask, directCallTask } from '@closure-pool/core';
import { encodeClosure } from '@closure-pool/serializer';

/** The one-item chunk of `fn(...args)` that `apply` posts, its payload whole. */
export function applyChunk(fn: Function, args: unknown[], bare = false): ChunkTask {
  const { id, frame } = encodeClosure(fn);
  return directCallTask(1, { id, frame }, args, bare);
}
