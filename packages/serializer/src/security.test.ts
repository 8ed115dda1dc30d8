import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capture } from './capture.js';
import { deserializeClosure } from './decode.js';
import { serializeClosure } from './encode.js';
import { ErrorCode, PayloadError } from './errors.js';
import type { Payload } from './payload.js';
import { signPayload } from './signature.js';
import { rehash as rehashed } from './test-helpers.js';

const y = 3;
const make = () =>
  JSON.parse(JSON.stringify(serializeClosure((x: number) => x * y, capture({ y })))) as Payload;
const marker = globalThis as { ran?: boolean };

describe('signed payloads', () => {
  const secret = 'shared secret';

  it('a payload signed with the secret is accepted', async () => {
    const fn = await deserializeClosure(signPayload(make(), secret), { secret });
    expect(fn(2)).toBe(6);
  });

  it.each([
    ['unsigned', (p: Payload) => p, /Refused an unsigned closure payload/],
    [
      'signed with another secret',
      (p: Payload) => signPayload(p, 'other'),
      /signature does not match/,
    ],
    [
      'altered and re-hashed after signing',
      (p: Payload) => {
        const signed = signPayload(p, secret);
        return rehashed({
          ...signed,
          functions: [{ ...signed.functions[0]!, source: '(x) => x' }],
        });
      },
      /signature does not match/,
    ],
  ])('is refused when %s, before anything runs', async (_, prepare, message) => {
    const error = await deserializeClosure(prepare(make()), { secret }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadError);
    expect((error as PayloadError).field).toBe('signature');
    expect((error as Error).message).toMatch(message);
  });
});

describe('payload fuzzing', () => {
  const leafPaths = (value: unknown, path: (string | number)[] = []): (string | number)[][] =>
    value !== null && typeof value === 'object'
      ? Object.entries(value).flatMap(([k, v]) =>
          leafPaths(v, [...path, Array.isArray(value) ? Number(k) : k]),
        )
      : [path];
  const setPath = (target: any, path: (string | number)[], value: unknown) => {
    let node = target;
    for (const key of path.slice(0, -1)) node = node[key];
    node[path.at(-1)!] = value;
  };
  const hostile = fc.constantFrom(
    '(() => { globalThis.ran = true })()',
    '0]; globalThis.ran = true; [0',
    '((x) => x), (globalThis.ran = true)',
    'globalThis.ran = true',
    '__proto__',
    'constructor',
  );
  const mutation = fc.record({
    pick: fc.nat(),
    value: fc.oneof(fc.anything(), hostile),
    rehash: fc.boolean(),
  });

  it('refuses every mutated payload with PayloadError, or rebuilds a working function; nothing injected runs', async () => {
    await fc.assert(
      fc.asyncProperty(mutation, async ({ pick, value, rehash }) => {
        marker.ran = false;
        const payload = make() as any;
        const paths = leafPaths(payload).filter((p) => p.length > 0);
        setPath(payload, paths[pick % paths.length]!, value);
        if (rehash && typeof payload.values === 'string') payload.hash = rehashed(payload).hash;
        const outcome = await deserializeClosure(payload).then(
          (fn) => ({ fn }),
          (error: unknown) => ({ error }),
        );
        if ('error' in outcome) expect(outcome.error).toBeInstanceOf(PayloadError);
        else expect(typeof outcome.fn).toBe('function');
        expect(marker.ran).toBe(false);
      }),
      { numRuns: 400 },
    );
  });

  it('round-trips generated captured values', async () => {
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(
        fc.integer(),
        fc.double(),
        fc.string(),
        fc.boolean(),
        fc.constant(undefined),
        fc.constant(null),
        fc.bigInt(),
        fc.date({ noInvalidDate: true }),
        fc.float64Array(),
        fc.uint8Array(),
      ),
      node: fc.oneof(
        { depthSize: 'small' },
        tie('leaf'),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 }),
        fc.constant(new Map([[1, 2]])),
      ),
    })).node;
    await fc.assert(
      fc.asyncProperty(value, async (v) => {
        const fn = await deserializeClosure(
          JSON.parse(JSON.stringify(serializeClosure(() => v, capture({ v })))),
        );
        expect(fn()).toEqual(v);
      }),
      { numRuns: 300 },
    );
  });
});

describe('code generation', () => {
  it('says clearly that closure-pool needs code generation from strings when it is disallowed', () => {
    const decode = fileURLToPath(new URL('./decode.ts', import.meta.url));
    const script = `
      import { deserializeClosure } from ${JSON.stringify(decode)};
      const payload = JSON.parse(process.argv[1]);
      deserializeClosure(payload).then(() => console.log('ran'), (e) => console.log(e.code + ' ' + e.message));`;
    const out = execFileSync(
      process.execPath,
      [
        '--disallow-code-generation-from-strings',
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
        JSON.stringify(make()),
      ],
      {
        encoding: 'utf8',
        cwd: fileURLToPath(new URL('..', import.meta.url)),
      },
    );
    expect(out).toMatch(
      new RegExp(
        `^${ErrorCode.CODE_GENERATION_DISALLOWED} closure-pool cannot compile functions here: code generation from strings is disabled`,
      ),
    );
  });
});
