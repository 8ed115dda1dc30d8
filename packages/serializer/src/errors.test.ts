// Errors rebuilt from their parts (as core brings them back from a worker), and CaptureError's fields.
import { describe, expect, it } from 'vitest';
import { buildError, CaptureError, ErrorCode } from './errors.js';

describe('buildError', () => {
  it('a built-in class by name, with the original stack', () => {
    const error = buildError({
      name: 'TypeError',
      message: 'm',
      stack: 'TypeError: m\n    at x',
      props: {},
    });
    expect(error).toBeInstanceOf(TypeError);
    expect(Object.hasOwn(error, 'name')).toBe(false);
    expect(error.stack).toBe('TypeError: m\n    at x');
    expect(Object.keys(error)).toEqual([]);
  });

  it('another name on an Error, as a hidden own property; a stack made when none came', () => {
    const error = buildError({ name: 'HttpError', message: 'nope', props: { status: 404 } });
    expect(Object.getPrototypeOf(error)).toBe(Error.prototype);
    expect(Object.getOwnPropertyDescriptor(error, 'name')).toEqual({
      value: 'HttpError',
      writable: true,
      enumerable: false,
      configurable: true,
    });
    expect(error.stack).toBe('HttpError: nope');
    expect(Object.getOwnPropertyDescriptor(error, 'status')).toEqual({
      value: 404,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  });

  it('an AggregateError with its errors; a cause, even an undefined one', () => {
    const inner = new Error('inner');
    const error = buildError({
      name: 'AggregateError',
      message: 'all',
      errors: [inner],
      cause: undefined,
      props: {},
    });
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toEqual([inner]);
    expect(Object.hasOwn(error, 'cause')).toBe(true);
    expect(Object.hasOwn(buildError({ name: 'Error', message: 'm', props: {} }), 'cause')).toBe(
      false,
    );
    expect(buildError({ name: 'Error', message: 'm', cause: 'why', props: {} }).cause).toBe('why');
  });
});

describe('CaptureError', () => {
  it('lists no missing names unless given some', () => {
    const error = new CaptureError(ErrorCode.CAPTURE_INVALID, 'm', { path: 'p' });
    expect(error.missing).toEqual([]);
    expect(error.path).toBe('p');
    expect(error.name).toBe('CaptureError');
  });
});
