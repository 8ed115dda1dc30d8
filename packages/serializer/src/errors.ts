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
  WORKER_CRASHED: 'WORKER_CRASHED',
  RESULT_NOT_CLONEABLE: 'RESULT_NOT_CLONEABLE',
  POOL_CLOSED: 'POOL_CLOSED',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
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

/** The built-in error classes by name: an error rebuilt on the other side keeps its class. */
export const builtinErrorClasses: Readonly<Record<string, ErrorConstructor>> = Object.freeze({
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
});
