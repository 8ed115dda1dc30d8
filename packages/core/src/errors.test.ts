// The pool's errors on their own: each class's code, message and fields, as users switch on them.
import { describe, expect, it } from 'vitest';
import {
  ClosurePoolError,
  ErrorCode,
  ExecutorUnavailableError,
  InvalidArgumentError,
  PoolClosedError,
  StrayError,
  TaskError,
  TaskTimeoutError,
  WORKER_PROCESS_LOST,
  WorkerCrashedError,
} from './errors.js';

describe('errors', () => {
  it('TaskError: which item, what it threw', () => {
    const cause = new TypeError('bad input');
    const error = new TaskError(3, cause);
    expect(error).toBeInstanceOf(ClosurePoolError);
    expect([error.code, error.index, error.cause, error.message]).toEqual([
      ErrorCode.TASK_FAILED,
      3,
      cause,
      'Item 3 failed: TypeError: bad input',
    ]);
    expect(new TaskError(0, 42).message).toBe('Item 0 failed: 42');
    const unprintable = {
      toString() {
        throw new Error('no');
      },
    };
    expect(new TaskError(1, unprintable).message).toBe('Item 1 failed: an unprintable value');
  });

  it('TaskTimeoutError', () => {
    const error = new TaskTimeoutError(2, 50);
    expect(error).toBeInstanceOf(TaskError);
    expect([error.code, error.index, error.timeout, error.cause, error.message]).toEqual([
      ErrorCode.TASK_TIMEOUT,
      2,
      50,
      undefined,
      'Item 2 ran longer than the timeout of 50 ms; its thread was stopped and replaced.',
    ]);
  });

  it.each([
    [
      'out of memory',
      Object.assign(new Error('oom'), { code: 'ERR_WORKER_OUT_OF_MEMORY' }),
      undefined,
      { maxOldGenerationSizeMb: 16 },
      'The thread running item 4 died because it ran out of memory (the pool\'s resourceLimits: {"maxOldGenerationSizeMb":16}). The pool replaced it.',
    ],
    [
      'out of memory, no limits given',
      Object.assign(new Error('oom'), { code: 'ERR_WORKER_OUT_OF_MEMORY' }),
      undefined,
      undefined,
      "The thread running item 4 died because it ran out of memory (the pool's resourceLimits: {}). The pool replaced it.",
    ],
    [
      'its process lost',
      Object.assign(new Error('the worker process holding it stopped'), {
        code: WORKER_PROCESS_LOST,
      }),
      undefined,
      undefined,
      'The thread running item 4 died because the worker process holding it stopped. The pool replaced it.',
    ],
    [
      'an exit',
      undefined,
      7,
      undefined,
      'The thread running item 4 died because it exited with code 7. The pool replaced it.',
    ],
    [
      'an uncaught error',
      new RangeError('deep'),
      undefined,
      undefined,
      'The thread running item 4 died because of an uncaught error: RangeError: deep. The pool replaced it.',
    ],
  ])('WorkerCrashedError: %s', (_case, reason, exitCode, limits, message) => {
    const error = new WorkerCrashedError(4, reason, exitCode, limits);
    expect(error).toBeInstanceOf(TaskError);
    expect([error.code, error.index, error.exitCode, error.cause, error.message]).toEqual([
      ErrorCode.WORKER_CRASHED,
      4,
      exitCode,
      reason,
      message,
    ]);
  });

  it('StrayError, ExecutorUnavailableError, PoolClosedError, InvalidArgumentError', () => {
    const stray = new StrayError('unhandledRejection', new Error('late'));
    expect([stray.code, stray.kind, stray.message]).toEqual([
      ErrorCode.STRAY_ERROR,
      'unhandledRejection',
      'A function left an error behind, outside the items it returned (unhandledRejection): Error: late. Await the work an item starts (or handle its errors there), so that it fails the item itself.',
    ]);
    const cause = new Error('redis down');
    const unavailable = new ExecutorUnavailableError('no Redis', { cause });
    expect([unavailable.code, unavailable.message, unavailable.cause]).toEqual([
      ErrorCode.EXECUTOR_UNAVAILABLE,
      'no Redis',
      cause,
    ]);
    expect(new PoolClosedError().message).toBe(
      'The pool is closed: it accepts no new work. Create a new ClosurePool.',
    );
    expect(new PoolClosedError('terminated').message).toBe('terminated');
    expect(new PoolClosedError().code).toBe(ErrorCode.POOL_CLOSED);
    expect(new InvalidArgumentError('x').code).toBe(ErrorCode.INVALID_ARGUMENT);
  });
});
