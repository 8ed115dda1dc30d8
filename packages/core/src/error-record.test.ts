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

describe('the record itself, field by field', () => {
  it('a thrown value that is not an error: its kind, name and message, and the value if it clones', () => {
    expect(toErrorRecord(42)).toEqual({
      kind: 'value',
      name: 'NonErrorThrown',
      message: 'A non-Error value was thrown: 42',
      props: {},
      value: 42,
    });
    expect(toErrorRecord(null)).toMatchObject({
      value: null,
      message: 'A non-Error value was thrown: null',
    });
    const unprintable = Object.create(null);
    expect(toErrorRecord(unprintable)).toEqual({
      kind: 'value',
      name: 'NonErrorThrown',
      message: 'A non-Error value was thrown: an unprintable value',
      props: {},
      value: {},
    });
    const record = toErrorRecord(() => 1);
    expect('value' in record).toBe(false);
    expect(fromErrorRecord(record)).toBeInstanceOf(Error);
    // a record of kind `error` is rebuilt as an error even if it carries a value
    expect(fromErrorRecord({ ...toErrorRecord(new Error('e')), value: 5 } as never)).toBeInstanceOf(
      Error,
    );
  });

  it('an error-like object (message and stack, not an Error) is recorded as an error', () => {
    const like = { message: 'like', stack: 'Like: like\n    at x (y.js:1:1)', name: 'Like' };
    expect(toErrorRecord(like)).toMatchObject({ kind: 'error', name: 'Like', message: 'like' });
    expect(toErrorRecord({ message: 'only a message' }).kind).toBe('value');
    expect(toErrorRecord({ stack: 'only a stack' }).kind).toBe('value');
  });

  it('a name that cannot be read is "Error"', () => {
    const error = new Error('named');
    Object.defineProperty(error, 'name', {
      get() {
        throw new Error('no');
      },
    });
    expect(toErrorRecord(error).name).toBe('Error');
  });

  it('cause, errors, stack and message are fields of their own, not properties', () => {
    const error = Object.assign(new Error('m', { cause: 1 }), {
      errors: [],
      stack: 's',
      extra: 'e',
    });
    Object.defineProperty(error, 'message', { value: 'm', enumerable: true });
    const { props } = toErrorRecord(error);
    expect(props).toEqual({ extra: 'e' });
  });

  it('a property that cannot be cloned nor printed is said to be so', () => {
    const error = Object.assign(new Error('e'), {
      weird: {
        [Symbol.toPrimitive]() {
          throw new Error('no');
        },
        fn() {},
      },
    });
    expect(toErrorRecord(error).props).toEqual({ weird: '(unprintable)' });
    expect(toErrorRecord(Object.assign(new Error('e'), { s: Symbol('s') })).props).toEqual({
      s: 'Symbol(s)',
    });
    expect(
      toErrorRecord(Object.assign(new Error('e'), { n: null, u: undefined, b: 1n })).props,
    ).toEqual({
      n: null,
      u: undefined,
      b: 1n,
    });
  });

  it('causes and errors nest 8 deep at most, and a cycle stops where it closes', () => {
    let error: Error = new Error('0');
    for (let i = 1; i <= 12; i++) error = new Error(String(i), { cause: error });
    let depth = 0;
    for (let r: any = toErrorRecord(error); r.cause; r = r.cause) depth++;
    expect(depth).toBe(8);
    let aggregate: Error = new Error('leaf');
    for (let i = 0; i < 12; i++) aggregate = new AggregateError([aggregate], `level ${i}`);
    let levels = 0;
    for (let r: any = toErrorRecord(aggregate); r.errors; r = r.errors[0]) levels++;
    expect(levels).toBe(8);
    const self: any = new Error('self');
    self.cause = self;
    expect(toErrorRecord(self).cause).toBeUndefined();
    const noCause = toErrorRecord(new Error('plain'));
    expect('cause' in noCause).toBe(false);
    expect('errors' in noCause).toBe(false);
  });
});
