// The values part of a payload as a worker reads it, forged part by part: each malformed record is
// refused by name, and each repair does exactly what it says. Cases from the survivors of the
// serializer's mutation run.
import { serialize } from 'node:v8';
import { beforeEach, describe, expect, it } from 'vitest';
import { PayloadError } from './errors.js';
import { freshImport } from './test-helpers.js';
import type { DecodeHooks } from './value-decode.js';
import { Fix, Place } from './value-format.js';

// its table of views is built when it loads: loaded for each test, so that each test builds it
let values: typeof import('./value-decode.js');
beforeEach(async () => {
  values = await freshImport('./value-decode.js');
});

const memory = new SharedArrayBuffer(16);
const hooks: DecodeHooks = {
  ref: (index) => (index === 0 ? Math.max : values.LATER),
  classAt: (index) => (index === 0 ? class Point {} : index === 1 ? () => {} : undefined),
  construct: (_, args) => ({ built: args }),
  sharedAt: (index) => (index === 0 ? memory : undefined),
};

/** The message of the PayloadError decoding `bytes` throws. */
function refusal(bytes: Uint8Array): string {
  try {
    values.decodeValues(bytes, [], hooks).finish();
  } catch (error) {
    expect(error).toBeInstanceOf(PayloadError);
    expect((error as PayloadError).field).toBe('values');
    return (error as Error).message;
  }
  return expect.unreachable('accepted');
}

/** A whole values record, read back and finished. */
function readBack(record: object) {
  const back = values.decodeValues(serialize(record), [], hooks);
  back.finish();
  return back;
}

const forged = (parts: Record<string, unknown>) =>
  serialize({ envs: [{}], members: [{}], places: [], patch: [], fixes: [], ...parts });

describe('refused, with what is wrong', () => {
  it.each([
    ['bytes that are not v8 data', new Uint8Array([1, 2, 3]), /^values cannot be read: .+/],
    ['not a record', serialize([1]), /^values is not a values record$/],
    ['no members', serialize({ envs: [] }), /^values is not a values record$/],
    [
      'no places',
      serialize({ envs: [], members: [] }),
      /^values has no places, patch or fixes list$/,
    ],
    [
      'a placeholder that is no pair',
      forged({ places: [[1, Place.REF, 0]] }),
      /^values has a malformed placeholder$/,
    ],
    [
      'a placeholder of no kind',
      forged({ places: [[{}, 9, 0]] }),
      /^values has a placeholder of unknown kind 9$/,
    ],
    [
      'a URL that is not a string',
      forged({ places: [[{}, Place.URL, ['https://x.test/']]] }),
      /unknown kind 1$/,
    ],
    [
      'a URL that does not parse',
      forged({ places: [[{}, Place.URL, 'no url']] }),
      /unknown kind 1$/,
    ],
    [
      'a view of an unknown type',
      forged({ places: [[{}, Place.SHARED_VIEW, [0, 'Evil', 0, 1]]] }),
      /^values names an unknown view type Evil$/,
    ],
    [
      'a view past its memory',
      forged({ places: [[{}, Place.SHARED_VIEW, [0, 'Uint8Array', 8, 64]]] }),
      /^values has a view outside its shared memory: .+/,
    ],
    [
      'shared memory that did not come',
      forged({ places: [[{}, Place.SHARED, 3]] }),
      /^values names shared memory 3, which did not come with it$/,
    ],
    [
      'a patch of a primitive',
      forged({ patch: [1] }),
      /^values patches something that is not an object$/,
    ],
    ['a repair that is no list', forged({ fixes: [{}] }), /^values has a malformed repair$/],
    [
      'a repair of no kind',
      forged({ fixes: [[9, {}]] }),
      /^values has a repair of unknown kind 9$/,
    ],
    [
      'a class with no prototype',
      forged({ fixes: [[Fix.CLASS, {}, 1]] }),
      /^values names class 1, which has no prototype$/,
    ],
    [
      'a lastIndex on what is no RegExp',
      forged({ fixes: [[Fix.REGEXP, {}, 1]] }),
      /unknown kind 2$/,
    ],
    ['a negative lastIndex', forged({ fixes: [[Fix.REGEXP, /x/g, -1]] }), /unknown kind 2$/],
    ['a fractional lastIndex', forged({ fixes: [[Fix.REGEXP, /x/g, 0.5]] }), /unknown kind 2$/],
    [
      'error extras on what is no Error',
      forged({ fixes: [[Fix.ERROR, {}, { name: 'X' }]] }),
      /unknown kind 3$/,
    ],
    [
      'error extras that are no record',
      forged({ fixes: [[Fix.ERROR, new Error('e'), 'X']] }),
      /unknown kind 3$/,
    ],
    [
      'a Buffer repair of what is no bytes',
      forged({ fixes: [[Fix.BUFFER, {}]] }),
      /unknown kind 4$/,
    ],
  ])('%s', (_, bytes, message) => {
    const text = refusal(bytes);
    expect(
      text.replace(/^Invalid closure payload: /, '').replace(/\. Nothing from it was run\.$/, ''),
    ).toMatch(message);
    expect(text).toMatch(/^Invalid closure payload: values .*\. Nothing from it was run\.$/s);
  });

  it('an instance whose args need the instance itself', () => {
    const placeholder = {};
    const bytes = forged({
      places: [[placeholder, Place.CONSTRUCT, [0, [placeholder]]]],
      patch: [{ v: placeholder }],
    });
    expect(refusal(bytes)).toContain('has a constructed instance that needs itself');
  });
});

describe('repairs', () => {
  it('a RegExp gets its lastIndex back, 0 included', () => {
    // the fixes name the deserialized objects, so they are built inside the one record
    const [re, zero] = [/x/g, /y/g];
    const record = {
      envs: [{ re, zero }],
      members: [{}],
      places: [],
      patch: [],
      fixes: [
        [Fix.REGEXP, re, 3],
        [Fix.REGEXP, zero, 0],
      ],
    };
    const back = readBack(record);
    const env = back.envs[0] as { re: RegExp; zero: RegExp };
    expect(env.re.lastIndex).toBe(3);
    expect(env.zero.lastIndex).toBe(0);
  });

  it('an error: its class, name, errors, cause and own properties', () => {
    const plain = new Error('p');
    const typed = new TypeError('t');
    const record = {
      envs: [{ plain, typed }],
      members: [{}],
      places: [],
      patch: [],
      fixes: [
        [Fix.ERROR, plain, { name: 'Custom', errors: [1], cause: 'why', props: { code: 'E' } }],
        [Fix.ERROR, typed, { proto: 'RangeError', errors: [2], name: 7 }],
      ],
    };
    const back = readBack(record);
    const { plain: a, typed: b } = back.envs[0] as {
      plain: Error & Record<string, any>;
      typed: Error & Record<string, any>;
    };
    // a plain Error with errors becomes an AggregateError; one of another class keeps its class
    expect(a).toBeInstanceOf(AggregateError);
    expect(b).toBeInstanceOf(RangeError);
    expect(b).not.toBeInstanceOf(AggregateError);
    expect(a.name).toBe('Custom');
    expect(b.name).toBe('RangeError');
    expect(a.errors).toEqual([1]);
    expect(b.errors).toEqual([2]);
    expect(a.cause).toBe('why');
    expect(Object.keys(a)).toEqual(['code']);
    for (const key of ['name', 'errors', 'cause'])
      expect(Object.getOwnPropertyDescriptor(a, key)?.enumerable).toBe(false);
    expect(Object.getOwnPropertyDescriptor(a, 'code')).toEqual({
      value: 'E',
      writable: true,
      enumerable: true,
      configurable: true,
    });
  });

  it('an unknown error class name is ignored, not looked up', () => {
    const error = new Error('e');
    const record = {
      envs: [{ error }],
      members: [{}],
      places: [],
      patch: [],
      fixes: [[Fix.ERROR, error, { proto: 'constructor' }]],
    };
    const back = readBack(record);
    expect(Object.getPrototypeOf(back.envs[0]!.error)).toBe(Error.prototype);
  });

  it('an object becomes a class instance; a record loses its prototype', () => {
    const point = { x: 1 };
    const bare = { y: 2 };
    const record = {
      envs: [{ point, bare }],
      members: [{}],
      places: [],
      patch: [],
      fixes: [
        [Fix.CLASS, point, 0],
        [Fix.NULL_PROTO, bare],
      ],
    };
    const back = readBack(record);
    const env = back.envs[0]!;
    expect((env.point as object).constructor.name).toBe('Point');
    expect(Object.getPrototypeOf(env.bare)).toBe(null);
  });
});

describe('placeholders', () => {
  it('each kind is replaced by what it stands for, in objects, Maps and Sets', () => {
    const [ref, url, shared, view, built] = [{}, {}, {}, {}, {}];
    const record = {
      envs: [{ ref, url, shared, view, built }],
      members: [{}],
      places: [
        [ref, Place.REF, 0],
        [url, Place.URL, 'https://example.test/a'],
        [shared, Place.SHARED, 0],
        [view, Place.SHARED_VIEW, [0, 'Buffer', 4, 8]],
        [built, Place.CONSTRUCT, [0, [ref, 2]]],
      ],
      patch: [] as unknown[],
      fixes: [],
    };
    const map = new Map<unknown, unknown>([[ref, url]]);
    const set = new Set([shared]);
    record.patch = [record.envs[0], map, set];
    record.envs[0] = { ...record.envs[0], map, set } as never;
    record.patch[0] = record.envs[0];
    const back = values.decodeValues(serialize(record), [], hooks);
    const deferred = back.finish();
    expect(deferred).toBe(true);
    const env = back.envs[0] as Record<string, any>;
    expect(env.ref).toBe(Math.max);
    expect(env.url).toBeInstanceOf(URL);
    expect(env.url.href).toBe('https://example.test/a');
    expect(env.shared).toBe(memory);
    expect(Buffer.isBuffer(env.view)).toBe(true);
    expect([env.view.byteOffset, env.view.length, env.view.buffer]).toEqual([4, 8, memory]);
    expect(env.built).toEqual({ built: [Math.max, 2] });
    expect([...env.map]).toEqual([[Math.max, env.url]]);
    expect([...env.set]).toEqual([memory]);
  });

  it.each([
    'Int8Array',
    'Uint8Array',
    'Uint8ClampedArray',
    'Int16Array',
    'Uint16Array',
    'Int32Array',
    'Uint32Array',
    'Float32Array',
    'Float64Array',
    'BigInt64Array',
    'BigUint64Array',
    'DataView',
    'Buffer',
  ])('a %s over shared memory is that view, over that memory', (type) => {
    const view = {};
    const env = { view };
    const back = values.decodeValues(
      serialize({
        envs: [env],
        members: [{}],
        places: [[view, Place.SHARED_VIEW, [0, type, 8, 1]]],
        patch: [env],
        fixes: [],
      }),
      [],
      hooks,
    );
    back.finish();
    const made = (back.envs[0] as { view: ArrayBufferView }).view;
    expect(type === 'Buffer' ? Buffer.isBuffer(made) : made.constructor.name).toBe(
      type === 'Buffer' ? true : type,
    );
    expect([made.buffer, made.byteOffset]).toEqual([memory, 8]);
  });

  it('nothing left for later: finish says so', () => {
    const ref = {};
    const back = values.decodeValues(
      serialize({
        envs: [{ ref }],
        members: [{}],
        places: [[ref, Place.REF, 0]],
        patch: [],
        fixes: [],
      }),
      [],
      hooks,
    );
    expect(back.finish()).toBe(false);
  });
});
