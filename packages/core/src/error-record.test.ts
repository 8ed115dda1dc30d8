import { describe, expect, it } from 'vitest';
import { fromErrorRecord, toErrorRecord } from './error-record.js';

const roundTrip = (thrown: unknown) =>
  fromErrorRecord(structuredClone(toErrorRecord(thrown))) as any;

describe('errors cross the thread boundary as themselves', () => {
  it('keeps class, message, stack, own properties and the cause chain', () => {
    const error = Object.assign(new RangeError('outer', { cause: new TypeError('inner') }), {
      code: 'E_OUT',
      details: { n: 1 },
    });
    const back = roundTrip(error);
    expect(back).toBeInstanceOf(RangeError);
    expect(back.message).toBe('outer');
    expect(back.stack).toBe(error.stack);
    expect(back.code).toBe('E_OUT');
    expect(back.details).toEqual({ n: 1 });
    expect(back.cause).toBeInstanceOf(TypeError);
    expect(back.cause.message).toBe('inner');
  });

  it("keeps a custom class's name, and AggregateError's errors", () => {
    class DbError extends Error {
      override name = 'DbError';
    }
    expect(roundTrip(new DbError('down')).name).toBe('DbError');
    const agg = roundTrip(new AggregateError([new Error('a'), new SyntaxError('b')], 'both'));
    expect(agg).toBeInstanceOf(AggregateError);
    expect(agg.errors.map((e: Error) => e.message)).toEqual(['a', 'b']);
    expect(agg.errors[1]).toBeInstanceOf(SyntaxError);
  });

  it('gives back thrown non-errors as they were, when they can be cloned', () => {
    expect(roundTrip(42)).toBe(42);
    expect(roundTrip('plain string')).toBe('plain string');
    expect(roundTrip({ reason: 'x' })).toEqual({ reason: 'x' });
  });

  it('describes what cannot be cloned instead of losing it', () => {
    const back = roundTrip(Symbol('sym'));
    expect(back).toBeInstanceOf(Error);
    expect(back.message).toBe('A non-Error value was thrown: Symbol(sym)');
    const withFn = roundTrip(Object.assign(new Error('e'), { callback: () => 1 }));
    expect(withFn.callback).toBe('() => 1');
  });

  it('survives hostile errors: throwing getters and cyclic causes', () => {
    const hostile = new Error('hostile');
    Object.defineProperty(hostile, 'message', {
      get() {
        throw new Error('no');
      },
    });
    Object.defineProperty(hostile, 'code', {
      enumerable: true,
      get() {
        throw new Error('no');
      },
    });
    const back = roundTrip(hostile);
    expect(back.message).toBe('(message could not be read)');
    expect(back.code).toBe('(getter threw)');

    const a: any = new Error('a');
    const b: any = new Error('b', { cause: a });
    a.cause = b;
    const cyclic = roundTrip(a);
    expect(cyclic.cause.message).toBe('b');
    expect(cyclic.cause.cause).toBeUndefined();
  });
});
