// What failure looks like: a failing item comes back as a TaskError with the original error
// rebuilt; an AbortSignal stops a call; a per-item timeout stops one runaway item.
import { ClosurePool, type TaskError, type TaskTimeoutError } from '@closure-pool/core';

export async function errorsExample() {
  await using pool = new ClosurePool({ threads: 2 });

  // 1. a failing item
  let failure: TaskError | undefined;
  try {
    await pool.map(
      (order: { id: number; qty: number }) => {
        if (order.qty < 0)
          throw Object.assign(new RangeError(`order ${order.id}: negative quantity`), {
            code: 'E_QTY',
          });
        return order.qty * 2;
      },
      [
        { id: 1, qty: 2 },
        { id: 2, qty: -1 },
      ],
    );
  } catch (error) {
    failure = error as TaskError;
  }

  // 2. cancellation: AbortSignal.timeout stops items that would run for ever
  const started = performance.now();
  const aborted = await pool
    .map(
      () => {
        for (;;);
      },
      [1, 2],
      { signal: AbortSignal.timeout(200) },
    )
    .then(
      () => undefined,
      (reason: unknown) => reason as Error,
    );
  const abortedAfterMs = performance.now() - started;

  // 3. a per-item timeout, settling every item
  const settled = await pool.map(
    (ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end);
      return ms;
    },
    [10, 5_000, 20],
    { timeout: 300, settle: true },
  );
  const timedOut = settled.find((s) => s.status === 'rejected')?.reason as
    | TaskTimeoutError
    | undefined;

  return { failure, aborted, abortedAfterMs, settled, timedOut };
}
