// The README's examples, as code the tests run: README.md quotes each #region verbatim, and
// docs.test.ts fails when the two differ.
import { ClosurePool, capture, closure } from '@closure-pool/core';

export async function quickstart() {
  // #region quickstart
  const pool = new ClosurePool({ threads: 5 });
  const y = 2;
  const squares = await pool.map((x: number) => x ** y, [1, 2, 3], capture({ y })); // [1, 4, 9]

  // a factory declares its closure's environment once; the function travels with it
  const powerFactory = (y: number) => closure((x: number) => x ** y, { y });
  const cubes = await pool.map(powerFactory(3), [1, 2, 3]); // [1, 8, 27]
  await pool.close();
  // #endregion quickstart
  return { squares, cubes };
}

export async function missingCapture() {
  await using pool = new ClosurePool({ threads: 1 });
  // #region missing-capture
  const y = 2;
  try {
    await pool.map((x: number) => x ** y, [1, 2, 3]); // forgot capture({ y })
  } catch (error) {
    console.log((error as Error).message);
    // Free variables are not captured, so the function would fail in the worker with a ReferenceError:
    //   fn uses y (here 2 (number)), which a worker thread does not have. Fix: capture({ y })
  }
  // #endregion missing-capture
}

export async function streamingAndOptions() {
  await using pool = new ClosurePool({ threads: 2 });
  // #region imap
  const seen: number[] = [];
  function* naturals() {
    for (let n = 0; ; n++) yield n;
  }
  for await (const square of pool.imap((n: number) => n * n, naturals())) {
    if (square > 1_000) break; // stops reading the endless input
    seen.push(square);
  }
  // #endregion imap
  // #region options
  const settled = await pool.map(
    (ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end); // busy work
      return ms;
    },
    [10, 60_000],
    {
      timeout: 500, // per item; that item's thread is replaced
      settle: true, // one PromiseSettledResult per item
      signal: AbortSignal.timeout(30_000), // cancels the whole call
      onProgress: ({ completed, total }) => console.log(`${completed}/${total}`),
    },
  );
  // settled[0] → { status: 'fulfilled', value: 10 }
  // settled[1] → { status: 'rejected', reason: TaskTimeoutError: Item 1 ran longer than the timeout of 500 ms… }
  // #endregion options
  return { seen, settled };
}
