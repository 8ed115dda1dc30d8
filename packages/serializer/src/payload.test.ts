import { describe, expect, it } from 'vitest';
import { deserializeClosure } from './decode.js';
import { serializeClosure } from './encode.js';
import { ErrorCode, PayloadError } from './errors.js';
import type { Payload } from './payload.js';
import { parsePayload } from './payload-schema.js';
import { rehash } from './test-helpers.js';

const y = 2;
const valid = () =>
  JSON.parse(JSON.stringify(serializeClosure((x: number) => x * y, { y }))) as Payload;

async function refusal(payload: unknown): Promise<PayloadError> {
  const marker = globalThis as { ran?: boolean };
  marker.ran = false;
  const error = await deserializeClosure(payload).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(marker.ran).toBe(false); // nothing from the payload ran
  expect(error).toBeInstanceOf(PayloadError);
  return error as PayloadError;
}

describe('payload validation', () => {
  it('carries a format, a version and a sha256 content hash', () => {
    const payload = valid();
    expect(payload).toMatchObject({ format: 'closure-pool', version: 3 });
    expect(payload.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(parsePayload(payload).body.functions).toHaveLength(1);
  });

  it('gives the same hash for the same closure and values, another for other values', () => {
    expect(valid().hash).toBe(valid().hash);
    expect(serializeClosure((x: number) => x * y, { y: 3 }).hash).not.toBe(valid().hash);
  });

  it.each([
    ['a wrong version', (p: any) => ({ ...p, version: 1 }), 'version'],
    ['a missing field', ({ functions: _, ...p }: any) => p, 'functions'],
    ['an extra field', (p: any) => ({ ...p, extra: 1 }), 'extra'],
    [
      'a capture name that is not an identifier',
      (p: any) => rehash({ ...p, functions: [{ ...p.functions[0], names: ['y; evil()'] }] }),
      'functions.0.names.0',
    ],
    ['a reference past the end', (p: any) => rehash({ ...p, root: { fn: 7 } }), 'root'],
    [
      'an unknown compiler helper',
      (p: any) => rehash({ ...p, functions: [{ ...p.functions[0], helpers: ['__evil'] }] }),
      'functions.0.helpers.0',
    ],
  ])('refuses %s, naming the field', async (_, mutate, field) => {
    const error = await refusal(mutate(valid()));
    expect(error.code).toBe(ErrorCode.PAYLOAD_INVALID);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(/Invalid closure payload/);
  });

  it('refuses content that does not match its hash', async () => {
    const payload = valid();
    payload.functions[0]!.source = '(x) => x * 1000';
    expect((await refusal(payload)).field).toBe('hash');
  });

  it.each([
    ['code after the function', '((x) => x), (globalThis.ran = true)'],
    ['a statement', 'globalThis.ran = true'],
    ['an array that closes the factory', '0]; globalThis.ran = true; [0'],
    ['an immediately invoked function', '(() => { globalThis.ran = true })()'],
  ])('refuses a source that is not exactly one function expression: %s', async (_, source) => {
    const payload = valid();
    payload.functions[0]!.source = source;
    const error = await refusal(rehash(payload));
    expect(error.field).toBe('functions.0.source');
  });

  it('says when a referenced native function does not exist in this thread', async () => {
    const error = await refusal(rehash({ ...valid(), root: { native: 'Math.nothing' } }));
    expect(error.message).toMatch(/native function Math\.nothing does not exist/);
  });
});

// A frame from another process passes its hash check when the sender computed the hash of bad
// bytes: its layout is checked too, and a bad one is a PayloadError, never a RangeError or a read
// past its end (cases found missing by mutating payload.ts, issue 21).
describe('binary frames', () => {
  const frameOf = (bytes: number[] | Buffer) => new Uint8Array(Buffer.from(bytes));
  /** A frame: body length (uint32 LE), the body, then the data. */
  const frame = (body: string, data: number[] = [], length = Buffer.byteLength(body)) => {
    const head = Buffer.alloc(4);
    head.writeUInt32LE(length, 0);
    return frameOf(Buffer.concat([head, Buffer.from(body), Buffer.from(data)]));
  };
  const validBody = () => {
    const { hash: _, signature: _s, values: _v, ...body } = valid();
    return JSON.stringify(body);
  };
  const refused = (bytes: Uint8Array) => {
    let error: unknown;
    try {
      parsePayload(bytes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PayloadError);
    expect((error as PayloadError).field).toBe('(frame)');
    return (error as PayloadError).message;
  };

  it.each([
    ['no room for the body length', frameOf([1, 0, 0])],
    ['an empty frame', frameOf([])],
    [
      'a body longer than the frame',
      () => frame(validBody(), [], Buffer.byteLength(validBody()) + 1),
    ],
  ])('%s is truncated', (_, make) => {
    expect(refused(typeof make === 'function' ? make() : make)).toMatch(/the frame is truncated/);
  });

  it('a body that is not JSON is refused as such', () => {
    expect(refused(frame('{not json'))).toMatch(/has a body that is not JSON/);
    // four bytes are a whole length: an empty body, which is not JSON either
    expect(refused(frameOf([0, 0, 0, 0]))).toMatch(/has a body that is not JSON/);
  });

  it('a body that lists more buffer bytes than the frame holds is refused', () => {
    const body = JSON.parse(validBody());
    const listing = (lengths: number[]) =>
      frame(JSON.stringify({ ...body, buffers: lengths }), [1, 2, 3]);
    expect(refused(listing([4]))).toMatch(/shorter than the buffers its body lists/);
    expect(refused(listing([2, 2]))).toMatch(/shorter than the buffers its body lists/);
    // exactly what it holds is fine: the buffers, then empty values
    const parsed = parsePayload(listing([1, 2]));
    expect(parsed.buffers.map((b) => [...b])).toEqual([[1], [2, 3]]);
    expect(parsed.values.byteLength).toBe(0);
  });

  it('a body that takes the whole frame, with no data after it, is read', () => {
    const body = JSON.parse(validBody());
    expect(parsePayload(frame(JSON.stringify({ ...body, buffers: [] }))).values.byteLength).toBe(0);
  });
});
