// The local executor answers a direct call (`apply`) marked `bare` with its primitive result alone,
// when there is nothing else to say; anything else comes in a whole chunk reply.
import { encodeClosure } from '@closure-pool/serializer';
import { describe, expect, it } from 'vitest';
import { createLocalExecutor } from './local-executor.js';
import { type ChunkReply, type ChunkTask, directCallTask } from './protocol.js';

/** A one-item chunk of `fn(...args)`, as `apply` posts it (not marked bare). */
function chunkOf(fn: Function, args: unknown[]): ChunkTask {
  const { id, frame } = encodeClosure(fn);
  return directCallTask(1, { id, frame }, args, false);
}

const firstValue = (reply: ChunkReply | Uint8Array) => (reply as ChunkReply).values[0];

describe("a direct call's result, bare", () => {
  const bare = (task: ChunkTask): ChunkTask => ({ ...task, bare: true });

  it('a primitive comes back as the reply itself; anything else in a whole reply', async () => {
    const executor = createLocalExecutor({ threads: 1 });
    try {
      for (const value of [42, -0, Number.NaN, 10n, 'text', true, null, undefined])
        expect(
          Object.is(await executor.run(bare(chunkOf((x: unknown) => x, [value]))), value),
        ).toBe(true);
      // small plain data goes in the reply as it is (Piscina clones it); anything else serialized
      const plain = await executor.run(bare(chunkOf(() => ({ a: 1 }), [])));
      expect(firstValue(plain as ChunkReply)).toEqual({ a: 1 });
      const map = await executor.run(bare(chunkOf(() => new Map([[1, 2]]), [])));
      expect(map).toBeInstanceOf(Uint8Array);
      const failed = (await executor.run(
        bare(
          chunkOf(() => {
            throw new RangeError('no');
          }, []),
        ),
      )) as ChunkReply;
      expect(failed.errors[0]![1].name).toBe('RangeError');
      // without `bare` (a chunk of a map), always a whole reply
      expect(firstValue(await executor.run(chunkOf(() => 7, [])))).toBe(7);
    } finally {
      await executor.destroy();
    }
  });

  it('a primitive with an error left behind comes back whole, with the error', async () => {
    const executor = createLocalExecutor({ threads: 1 });
    try {
      const reply = (await executor.run(
        bare(
          chunkOf(async () => {
            void Promise.reject(new Error('nobody awaited me'));
            await new Promise((resolve) => setTimeout(resolve, 20));
            return 1;
          }, []),
        ),
      )) as ChunkReply;
      expect(firstValue(reply)).toBe(1);
      expect(reply.strays?.[0]?.error.message).toBe('nobody awaited me');
    } finally {
      await executor.destroy();
    }
  });
});
