// A chunk's outcomes in shared memory, written and read in this thread (a worker writes them, the
// main thread reads them): every kind of outcome comes back as it was written, by position.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toErrorRecord } from './error-record.js';
import {
  createResultLog,
  maxLogBytes,
  type Overflow,
  ResultWriter,
  readResultLog,
} from './result-log.js';

describe('the result log', () => {
  it('every kind of value comes back by position; errors by position, in order', () => {
    const log = createResultLog();
    const writer = new ResultWriter(log, 9);
    const values = [1.5, undefined, null, true, false, 'text', { a: [1, 2n] }, -0];
    for (const [position, value] of values.entries())
      expect(writer.value(position, value)).toBe(true);
    const record = toErrorRecord(Object.assign(new TypeError('bad'), { code: 'E_BAD' }));
    expect(writer.error(8, record)).toBe(true);
    const read = readResultLog(log, 9);
    expect(read.values.slice(0, 8)).toEqual(values);
    expect(Object.is(read.values[7], -0)).toBe(true);
    expect(read.values[8]).toBeUndefined();
    expect(read.errors).toEqual([[8, record]]);
  });

  it('strings come back code unit for code unit (lone surrogates too), bigints digit for digit', () => {
    const log = createResultLog();
    const long = 'é'.repeat(40_000); // 80,000 bytes: the log grows while it holds strings
    const values = ['', 'a\uD800b\uDFFF', '\u{1F600}x', long, -(2n ** 200n) - 1n, 0n, 'tail'];
    const writer = new ResultWriter(log, values.length);
    for (const [position, value] of values.entries())
      expect(writer.value(position, value)).toBe(true);
    expect(log.byteLength).toBeGreaterThan(64 * 1024);
    expect(readResultLog(log, values.length).values).toEqual(values);
  });

  it('a Buffer or byte view read from the log is its own copy: the next chunk cannot change it', () => {
    const log = createResultLog();
    const first = new ResultWriter(log, 3);
    first.value(0, Buffer.from([1, 2, 3]));
    first.value(1, new Uint8Array([4, 5]));
    first.error(2, toErrorRecord(Object.assign(new Error('e'), { data: Buffer.from([6]) })));
    const read = readResultLog(log, 3);
    // the slot's next chunk writes over the same bytes
    const next = new ResultWriter(log, 3);
    for (let position = 0; position < 3; position++) next.value(position, Buffer.alloc(16, 0xff));
    expect(read.values[0]).toEqual(Buffer.from([1, 2, 3]));
    expect(read.values[1]).toEqual(new Uint8Array([4, 5]));
    expect(read.errors[0]![1].props.data).toEqual(Buffer.from([6]));
    for (const value of [read.values[0], read.values[1]])
      expect((value as Uint8Array).buffer).not.toBeInstanceOf(SharedArrayBuffer);
  });

  it('consecutive plain results are read as one run; a run ends at any other outcome', () => {
    const log = createResultLog();
    const outcomes = [
      { a: 1 },
      [2, 'b'],
      { c: { d: null } },
      'a string',
      { e: 'é\uD800' },
      { f: -0 }, // serialized: not plain
      { g: 7 },
      undefined,
      [8],
      'error',
      { h: 9 },
      { i: 10 },
    ];
    const writer = new ResultWriter(log, outcomes.length);
    outcomes.forEach((value, position) => {
      if (value === 'error') writer.error(position, toErrorRecord(new Error('e')));
      else writer.value(position, value);
    });
    const read = readResultLog(log, outcomes.length);
    expect(read.values).toEqual(outcomes.map((value) => (value === 'error' ? undefined : value)));
    expect(Object.is((read.values[5] as { f: number }).f, -0)).toBe(true);
    expect(read.errors.map(([position]) => position)).toEqual([9]);
    // written out of order, texts of neighbouring positions are not end to end: read one by one
    const shuffled = createResultLog();
    const byPosition = new ResultWriter(shuffled, 3);
    for (const position of [0, 2, 1]) byPosition.value(position, { position });
    expect(readResultLog(shuffled, 3).values).toEqual([0, 1, 2].map((position) => ({ position })));
    // a chunk that stopped early: the run ends at `count`, whatever the log held past it
    expect(readResultLog(log, 2).values).toEqual([{ a: 1 }, [2, 'b']]);
    // each result its own object, also within a run
    const again = readResultLog(log, 3).values;
    expect(again[0]).not.toBe(read.values[0]);
  });

  it('only the first `count` outcomes are read (a chunk stopped early)', () => {
    const log = createResultLog();
    const writer = new ResultWriter(log, 3);
    writer.value(0, 'a');
    writer.value(1, 'b');
    expect(readResultLog(log, 2)).toEqual({ values: ['a', 'b'], errors: [] });
  });

  it('an outcome in the reply takes the place the log kept for it', () => {
    const log = createResultLog();
    const writer = new ResultWriter(log, 3);
    writer.value(0, 'logged');
    writer.inReply(1);
    writer.inReply(2);
    const record = toErrorRecord(new RangeError('in reply'));
    const overflow: Overflow[] = [
      [1, { moved: true }, false],
      [2, record, true],
      [0, 'not in reply: ignored', false],
    ];
    expect(readResultLog(log, 3, overflow)).toEqual({
      values: ['logged', { moved: true }, undefined],
      errors: [[2, record]],
    });
  });

  it('an outcome meant for a reply that never came is a lost-outcome error, not a silent undefined', () => {
    const log = createResultLog();
    const writer = new ResultWriter(log, 2);
    writer.value(0, 1);
    writer.inReply(1);
    const { values, errors } = readResultLog(log, 2);
    expect(values).toEqual([1, undefined]);
    expect(errors).toHaveLength(1);
    expect(errors[0]![0]).toBe(1);
    expect(errors[0]![1].message).toBe(
      `The item at position 1 of its chunk finished, but its outcome (over ${maxLogBytes / 2 ** 20} MiB with the chunk's others) was lost when its thread died; it was not run again.`,
    );
  });

  it('a log grows up to its limit: 256 MiB', () => {
    const log = createResultLog() as SharedArrayBuffer & { maxByteLength: number };
    expect(log.maxByteLength).toBe(maxLogBytes);
    expect(maxLogBytes).toBe(256 * 2 ** 20);
    expect(log.byteLength).toBe(64 * 1024);
  });

  it('grows as values need, and a value past the limit goes to the reply', () => {
    const limit = 256 * 1024;
    const log = createResultLog(limit);
    const start = log.byteLength;
    const writer = new ResultWriter(log, 3);
    const big = new Uint8Array(start + 1000).fill(7);
    expect(writer.value(0, big)).toBe(true);
    expect(log.byteLength).toBe(start * 2); // doubled: room for what comes next
    expect(readResultLog(log, 1).values[0]).toEqual(big);
    const rest = new Uint8Array(limit - log.byteLength + 100);
    expect(writer.value(1, rest)).toBe(true);
    expect(log.byteLength).toBe(limit);
    expect(writer.value(2, new Uint8Array(limit))).toBe(false);
    expect(log.byteLength).toBe(limit);
    const { errors } = readResultLog(log, 3);
    expect(errors.map(([position]) => position)).toEqual([2]); // in reply, and no reply here
  });

  it('an error too large for the log goes to the reply too', () => {
    const log = createResultLog(64 * 1024);
    const writer = new ResultWriter(log, 1);
    const record = toErrorRecord(Object.assign(new Error('big'), { data: 'y'.repeat(64 * 1024) }));
    expect(writer.error(0, record)).toBe(false);
    expect(readResultLog(log, 1, [[0, record, true]]).errors).toEqual([[0, record]]);
  });

  it('property: any mix of values and errors reads back as written', () => {
    const outcome = fc.oneof(
      fc.record({ error: fc.constant(false as const), value: fc.jsonValue() }),
      fc.record({ error: fc.constant(false as const), value: fc.double() }),
      fc.record({
        error: fc.constant(false as const),
        // any UTF-16 code units, lone surrogates included
        value: fc.string({
          unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
        }),
      }),
      fc.record({ error: fc.constant(false as const), value: fc.bigInt() }),
      fc.record({ error: fc.constant(true as const), value: fc.string() }),
    );
    fc.assert(
      fc.property(fc.array(outcome, { maxLength: 40 }), (outcomes) => {
        const log = createResultLog();
        const writer = new ResultWriter(log, outcomes.length);
        outcomes.forEach(({ error, value }, position) => {
          if (error) writer.error(position, toErrorRecord(new Error(value as string)));
          else writer.value(position, value);
        });
        const read = readResultLog(log, outcomes.length);
        outcomes.forEach(({ error, value }, position) => {
          if (!error) expect(read.values[position]).toEqual(value);
        });
        expect(read.errors.map(([position, record]) => [position, record.message])).toEqual(
          outcomes.flatMap(({ error, value }, position) => (error ? [[position, value]] : [])),
        );
      }),
    );
  });
});
