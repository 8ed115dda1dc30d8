// The article in shared/seeds: a closure made by a factory, which pickle refuses ("Can't pickle
// local object 'power_factory.<locals>.f'") and pathos runs unchanged. Ten items that each
// sleep one second: about 10 s one after another, about 2 s on a pool of five threads.
import { ClosurePool, closure } from '@closure-pool/core';

/** Blocks the thread like Python's time.sleep. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export async function powerFactoryExample({ sleepMs = 1000 } = {}) {
  const powerFactory = (y: number) =>
    closure(
      (x: number) => {
        sleepSync(sleepMs);
        return x ** y;
      },
      { y, sleepSync, sleepMs },
    );
  const square = powerFactory(2);
  const xs = [...Array(10).keys()];

  let started = performance.now();
  const sequential = xs.map((x) => square(x));
  const sequentialSeconds = (performance.now() - started) / 1000;

  await using pool = new ClosurePool({ threads: 5 });
  started = performance.now();
  const results = await pool.map(square, xs);
  const parallelSeconds = (performance.now() - started) / 1000;

  return { results, sequential, sequentialSeconds, parallelSeconds };
}
