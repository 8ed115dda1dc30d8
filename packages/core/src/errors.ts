// [both] The pool's errors. The base class and codes are the serializer's, so one `instanceof
// ClosurePoolError` and one `code` switch cover everything closure-pool raises.
import type { ResourceLimits } from 'node:worker_threads';
import { ClosurePoolError, ErrorCode } from '@closure-pool/serializer';

export { CaptureError, ClosurePoolError, ErrorCode, PayloadError } from '@closure-pool/serializer';

/** An item failed. `cause` is what the function threw, rebuilt; `index` says which item. */
export class TaskError extends ClosurePoolError {
  /** The item's position in the input. */
  readonly index: number;
  constructor(
    index: number,
    cause: unknown,
    code: ErrorCode = ErrorCode.TASK_FAILED,
    message?: string,
  ) {
    super(code, message ?? `Item ${index} failed: ${summary(cause)}`, { cause });
    this.index = index;
  }
}

/** An item ran longer than the call's `timeout`; its thread was stopped and replaced. */
export class TaskTimeoutError extends TaskError {
  readonly timeout: number;
  constructor(index: number, timeout: number) {
    super(
      index,
      undefined,
      ErrorCode.TASK_TIMEOUT,
      `Item ${index} ran longer than the timeout of ${timeout} ms; its thread was stopped and replaced.`,
    );
    this.timeout = timeout;
  }
}

/** The thread running an item died (process.exit, an uncaught error, out of memory). */
export class WorkerCrashedError extends TaskError {
  /** The thread's exit code, when it exited. */
  readonly exitCode: number | undefined;
  constructor(
    index: number,
    reason: unknown,
    exitCode: number | undefined,
    limits?: ResourceLimits,
  ) {
    const code = (reason as { code?: string })?.code;
    const why =
      code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? `it ran out of memory (the pool's resourceLimits: ${JSON.stringify(limits ?? {})})`
        : code === WORKER_PROCESS_LOST
          ? (reason as Error).message
          : exitCode !== undefined
            ? `it exited with code ${exitCode}`
            : `of an uncaught error: ${summary(reason)}`;
    super(
      index,
      reason,
      ErrorCode.WORKER_CRASHED,
      `The thread running item ${index} died because ${why}. The pool replaced it.`,
    );
    this.exitCode = exitCode;
  }
}

/** The `code` of an executor's rejection that means: the process running the chunk is gone. */
export const WORKER_PROCESS_LOST = 'WORKER_PROCESS_LOST';

/**
 * The engine that runs chunks cannot run them (a cluster's Redis unreachable past its bound, no
 * worker process connected): the whole call fails with it, naming what is missing.
 */
export class ExecutorUnavailableError extends ClosurePoolError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.EXECUTOR_UNAVAILABLE, message, options);
  }
}

/**
 * An error a call's function left behind, outside any item's result: thrown by a timer, callback or
 * event handler it started, or a promise it rejected without awaiting. A call that has not ended
 * and does not settle fails with it; otherwise the pool emits it as an `'error'` event.
 */
export class StrayError extends ClosurePoolError {
  /** How it reached the thread: `uncaughtException` or `unhandledRejection`. */
  readonly kind: string;
  constructor(kind: string, cause: unknown) {
    super(
      ErrorCode.STRAY_ERROR,
      `A function left an error behind, outside the items it returned (${kind}): ${summary(cause)}. ` +
        'Await the work an item starts (or handle its errors there), so that it fails the item itself.',
      { cause },
    );
    this.kind = kind;
  }
}

/** The pool was closed or terminated before this work could run. */
export class PoolClosedError extends ClosurePoolError {
  constructor(message = 'The pool is closed: it accepts no new work. Create a new ClosurePool.') {
    super(ErrorCode.POOL_CLOSED, message);
  }
}

/** A bad argument to the pool's API. */
export class InvalidArgumentError extends ClosurePoolError {
  constructor(message: string) {
    super(ErrorCode.INVALID_ARGUMENT, message);
  }
}

function summary(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return String(value);
  } catch {
    return 'an unprintable value';
  }
}
