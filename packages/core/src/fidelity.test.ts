// The fidelity contract through a real pool: a captured graph, described in the worker, reads the
// same as described here (deep equality, identity structure, classes, holes, -0, lastIndex…).
import { capture, registerClass } from '@closure-pool/serializer';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { describeGraph } from '../../serializer/src/testing/describe-graph.js';
import { buildGraph, graphSpec, Point } from '../../serializer/src/testing/graph-arbitrary.js';
import { ClosurePool } from './pool.js';

registerClass(Point);
const pool = new ClosurePool({ threads: 2 });
afterAll(() => pool.close());

/** `describeGraph` of the captured names, run in a worker thread. */
function describeInWorker(env: Record<string, unknown>): Promise<string> {
  const fn = new Function(`return () => describeGraph({ ${Object.keys(env).join(', ')} })`)();
  return pool.apply(fn, [], capture({ describeGraph, ...env }));
}

describe('captured values through a pool', () => {
  it('two captured names that refer to each other, a sparse array, a null-prototype object', async () => {
    const a: any = { name: 'a' };
    const b: any = { name: 'b', peer: a };
    a.peer = b;
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const env = { a, b, holes: [1, , 3], dict: Object.assign(Object.create(null), { k: -0 }) };
    expect(await describeInWorker(env)).toBe(describeGraph(env));
  });

  it('property: generated graphs read the same in the worker', async () => {
    await fc.assert(
      fc.asyncProperty(graphSpec, async (spec) => {
        const env = buildGraph(spec);
        expect(await describeInWorker(env)).toBe(describeGraph(env));
      }),
      { numRuns: 1000 },
    );
  });
});
