/** Stable machine-readable codes for every error closure-pool raises. */
export const ErrorCode = {
  CAPTURE_MISSING: 'CAPTURE_MISSING',
  CAPTURE_UNSUPPORTED_VALUE: 'CAPTURE_UNSUPPORTED_VALUE',
  CAPTURE_UNSUPPORTED_FUNCTION: 'CAPTURE_UNSUPPORTED_FUNCTION',
  CAPTURE_UNSUPPORTED_SYNTAX: 'CAPTURE_UNSUPPORTED_SYNTAX',
  CAPTURE_INVALID: 'CAPTURE_INVALID',
  PAYLOAD_INVALID: 'PAYLOAD_INVALID',
  PAYLOAD_COMPILE_FAILED: 'PAYLOAD_COMPILE_FAILED',
  CODE_GENERATION_DISALLOWED: 'CODE_GENERATION_DISALLOWED',
  TASK_FAILED: 'TASK_FAILED',
  TASK_TIMEOUT: 'TASK_TIMEOUT',
  LOAD_TIMEOUT: 'LOAD_TIMEOUT',
  WORKER_CRASHED: 'WORKER_CRASHED',
  STRAY_ERROR: 'STRAY_ERROR',
  EXECUTOR_UNAVAILABLE: 'EXECUTOR_UNAVAILABLE',
  RESULT_NOT_CLONEABLE: 'RESULT_NOT_CLONEABLE',
  ITEM_NOT_CLONEABLE: 'ITEM_NOT_CLONEABLE',
  POOL_CLOSED: 'POOL_CLOSED',
  WORKER_FILE_MISSING: 'WORKER_FILE_MISSING',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The base class of every closure-pool error: `instanceof ClosurePoolError`, then switch on `code`. */
export class ClosurePoolError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The caller asked for something that cannot travel to a worker; raised before anything is sent. */
export class CaptureError extends ClosurePoolError {
  /** Where the problem is, e.g. `capture.db.client`, or `fn` for the function itself. */
  readonly path: string;
  /** For CAPTURE_MISSING: every free variable the capture lacks. */
  readonly missing: readonly string[];
  constructor(
    code: ErrorCode,
    message: string,
    details: { path: string; missing?: readonly string[]; cause?: unknown },
  ) {
    super(code, message, { cause: details.cause });
    this.path = details.path;
    this.missing = details.missing ?? [];
  }
}

/** A payload failed validation or could not be rebuilt; nothing from it was run. */
export class PayloadError extends ClosurePoolError {
  /** The payload field that is wrong, e.g. `functions.0.source`. */
  readonly field: string;
  constructor(message: string, details: { field: string; cause?: unknown; code?: ErrorCode }) {
    super(details.code ?? ErrorCode.PAYLOAD_INVALID, message, { cause: details.cause });
    this.field = details.field;
  }
}

/**
 * The built-in error classes by name (structured clone keeps exactly these): an error rebuilt on
 * the other side keeps its class.
 */
export const builtinErrorClasses: Readonly<Record<string, ErrorConstructor>> = Object.freeze({
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
});

/** What an error is made of, once it has crossed a boundary as data. */
export interface ErrorParts {
  readonly name: string;
  readonly message: string;
  readonly stack?: string | undefined;
  /** Present (even as undefined) when the original had a cause. */
  readonly cause?: unknown;
  /** An AggregateError's errors, already rebuilt. */
  readonly errors?: unknown[] | undefined;
  readonly props: Readonly<Record<string, unknown>>;
}

/**
 * Rebuilds an error from its parts: the same built-in class (or AggregateError), its name, the
 * original stack, its cause, and its own properties (one that cannot be set is skipped).
 */
export function buildError(parts: ErrorParts): Error {
  const options = 'cause' in parts ? { cause: parts.cause } : undefined;
  const error =
    parts.errors !== undefined
      ? new AggregateError(parts.errors, parts.message, options)
      : new (builtinErrorClasses[parts.name] ?? Error)(parts.message, options);
  const own = (key: string, value: unknown, enumerable = false) => {
    try {
      Object.defineProperty(error, key, { value, configurable: true, writable: true, enumerable });
    } catch {
      // a property the error will not take (a frozen prototype's setter): left out
    }
  };
  if (error.name !== parts.name) own('name', parts.name);
  own('stack', parts.stack ?? `${parts.name}: ${parts.message}`);
  for (const [key, value] of Object.entries(parts.props)) own(key, value, true);
  return error;
}
