// What Pool users look for next, as the README shows it: README.md quotes each #region verbatim
// (docs.test.ts), and examples.test.ts runs every function here.
import { ClosurePool, capture, closure, transfer, zip } from '@closure-pool/core';

export async function initExample() {
  // #region init
  const modelPath = '/models/tiny.bin';
  await using pool = new ClosurePool({
    threads: 2,
    // once per thread, before its first item: what it returns is the third argument of map's function
    init: closure(() => ({ path: modelPath, loadedAt: Date.now() }), { modelPath }),
  });
  const scored = await pool.map(
    (text: string, _i: number, model: { path: string }) => `${model.path}: ${text.length}`,
    ['a', 'bb'],
  ); // ['/models/tiny.bin: 1', '/models/tiny.bin: 2']
  // #endregion init
  return scored;
}

export async function zipExample() {
  await using pool = new ClosurePool({ threads: 2 });
  // #region zip
  const xs = [1, 2, 3];
  const ys = [10, 20, 30, 40];
  // Python's map(f, xs, ys): rows in step, stopping at the shortest; lazy for generators
  const sums = await pool.starmap((x: number, y: number) => x + y, zip(xs, ys)); // [11, 22, 33]
  // #endregion zip
  return sums;
}

export async function zeroCopyExample() {
  await using pool = new ClosurePool({ threads: 2 });
  // #region zero-copy
  // a result moved, not copied: its buffer changes hands (capture transfer, which travels as code)
  const samples = await pool.apply(
    (n: number) => transfer(new Float64Array(n).fill(0.5)),
    [1_000_000],
    capture({ transfer }),
  );
  // captured shared memory is the same memory in every thread
  const hits = new Int32Array(new SharedArrayBuffer(4));
  await pool.map(() => Atomics.add(hits, 0, 1), [1, 2, 3], capture({ hits })); // hits[0] === 3
  // #endregion zero-copy
  return { length: samples.length, hits: hits[0] };
}

export async function observeExample() {
  // #region observe
  await using pool = new ClosurePool({ threads: 2, env: { MODE: 'batch' } });
  pool.on('threadStart', (id) => console.log(`thread ${id} started`));
  pool.on('error', (error) => console.error(error)); // errors left behind (a timer that throws)
  await pool.map((x: number) => x * 2, [1, 2, 3]);
  const { itemsCompleted, busyThreads, runTime } = pool.stats(); // 3, 0, { p50, p90, p99, … } ms
  await pool.resize(4); // new calls run on 4 threads; running calls finish on the old ones
  // #endregion observe
  return { itemsCompleted, busyThreads, hasRunTime: runTime !== undefined, threads: pool.threads };
}
