// What the apply scenarios post: the chunk of one call.
import {
  type ChunkTask,
  type DirectMessage,
  directCallTask,
  toDirectMessage,
} from '@closure-pool/core';
import { encodeClosure } from '@closure-pool/serializer';

/** The one-item chunk of `fn(...args)` that `apply` posts, its payload whole. */
export function applyChunk(fn: Function, args: unknown[], bare = false): ChunkTask {
  const { id, frame } = encodeClosure(fn);
  return directCallTask(1, { id, frame }, args, bare);
}

/**
 * What a thread is sent for `apply(fn, args)`: `first` carries the payload's frame (the thread then
 * holds the closure); `repeated`, as the pool sends a call of a payload its threads have run, does
 * not (a thread without the closure answers `{ missing: true }`).
 */
export function applyMessages(
  fn: Function,
  args: unknown[],
): { first: DirectMessage; repeated: DirectMessage } {
  const task = applyChunk(fn, args, true);
  return { first: toDirectMessage(task)!, repeated: toDirectMessage({ ...task, sent: true })! };
}

/** Runs `first` where `run` posts, and checks that `repeated` then gets `expected` back. */
export async function holdClosure(
  run: (message: DirectMessage) => Promise<unknown>,
  { first, repeated }: { first: DirectMessage; repeated: DirectMessage },
  expected: unknown,
): Promise<void> {
  await run(first);
  const answer = await run(repeated);
  if (answer !== expected)
    throw new Error(`A repeated apply was answered ${JSON.stringify(answer)}, not ${expected}.`);
}
