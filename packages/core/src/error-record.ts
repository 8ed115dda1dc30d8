// [both] An error as plain, cloneable data, and back. Whatever was thrown arrives as something useful:
// its class, message, stack, cause chain, AggregateError's errors and its own properties.
import { deserialize, serialize } from 'node:v8';
import { buildError } from '@closure-pool/serializer/decode';

export interface ErrorRecord {
  /** `error` for Error objects; `value` for anything else thrown (`throw 42`). */
  readonly kind: 'error' | 'value';
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly cause?: ErrorRecord;
  readonly errors?: ErrorRecord[];
  /** Own enumerable properties (`err.code`); values that cannot be cloned arrive as strings. */
  readonly props: Record<string, unknown>;
  /** For `kind: 'value'`: the thrown value, if it can be cloned. */
  readonly value?: unknown;
}

const maxDepth = 8;

export function toErrorRecord(thrown: unknown, depth = 0, seen = new Set<unknown>()): ErrorRecord {
  if (!isErrorLike(thrown)) {
    const text = safely(
      () => (typeof thrown === 'symbol' ? thrown.toString() : String(thrown)),
      'an unprintable value',
    );
    return {
      kind: 'value',
      name: 'NonErrorThrown',
      message: `A non-Error value was thrown: ${text}`,
      props: {},
      ...(isCloneable(thrown) ? { value: thrown } : {}),
    };
  }
  seen.add(thrown);
  const error = thrown as Error & { cause?: unknown; errors?: unknown };
  const cause = safely(() => error.cause, undefined);
  const errors = safely(() => error.errors, undefined);
  const record: ErrorRecord = {
    kind: 'error',
    name: safely(() => String(error.name), 'Error'),
    message: safely(() => String(error.message), '(message could not be read)'),
    stack: safely(() => error.stack, undefined),
    props: ownProps(error),
    ...(cause !== undefined && depth < maxDepth && !seen.has(cause)
      ? { cause: toErrorRecord(cause, depth + 1, seen) }
      : {}),
    ...(Array.isArray(errors) && depth < maxDepth
      ? { errors: errors.map((e) => toErrorRecord(e, depth + 1, seen)) }
      : {}),
  };
  return record;
}

/** Rebuilds the error: the same class where it is a built-in one, the worker's stack, its properties. */
export function fromErrorRecord(record: ErrorRecord): unknown {
  if (record.kind === 'value' && 'value' in record) return record.value;
  return buildError({
    name: record.name,
    message: record.message,
    stack: record.stack,
    props: record.props,
    ...(record.cause ? { cause: fromErrorRecord(record.cause) } : {}),
    ...(record.errors ? { errors: record.errors.map(fromErrorRecord) } : {}),
  });
}

function isErrorLike(value: unknown): value is Error {
  return (
    value instanceof Error ||
    (typeof value === 'object' && value !== null && 'message' in value && 'stack' in value)
  );
}

function ownProps(error: object): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  for (const key of safely(() => Object.keys(error), [] as string[])) {
    if (key === 'cause' || key === 'errors' || key === 'stack' || key === 'message') continue;
    const value = safely(() => (error as Record<string, unknown>)[key], '(getter threw)');
    props[key] = isCloneable(value) ? value : safely(() => String(value), '(unprintable)');
  }
  return props;
}

function isCloneable(value: unknown): boolean {
  if (
    value === null ||
    (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol')
  )
    return true;
  try {
    deserialize(serialize(value));
    return true;
  } catch {
    return false;
  }
}

function safely<T, F>(read: () => T, fallback: F): T | F {
  try {
    return read();
  } catch {
    return fallback;
  }
}
