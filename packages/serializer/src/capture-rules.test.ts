// capture(), closure(), moduleRef() and the secret check: what each refuses, named and with the fix.
import { describe, expect, it } from 'vitest';
import { Capture, capture, closure, describe as describeValue, moduleRef } from './capture.js';
import { type CaptureError, ClosurePoolError, ErrorCode } from './errors.js';
import { checkSecret, verifySignature } from './signature.js';
import { freshImport } from './test-helpers.js';

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (error) {
    return error as Error;
  }
  return expect.unreachable('accepted');
}

describe('capture and closure', () => {
  it.each([
    [null, 'null'],
    [[1], 'an instance of Array'],
    ['y', "'y' (string)"],
  ])('capture(%j) is refused at `capture`', (env, got) => {
    const error = thrown(() => capture(env as never)) as CaptureError;
    expect(error.path).toBe('capture');
    expect(error.message).toBe(
      `capture() expects an object literal of the variables to carry, like capture({ y, helper }), got ${got}.`,
    );
  });

  it('only capture.auto reads from scope', () => {
    expect(capture({}).implicit).toBe(false);
    expect(new Capture({}, { implicit: 1 as never }).implicit).toBe(false);
    expect(capture.auto.implicit).toBe(true);
  });

  it('closure() of something other than a function is refused at `fn`', () => {
    const error = thrown(() => closure(42 as never, {})) as CaptureError;
    expect(error.path).toBe('fn');
    expect(error.message).toBe(
      'closure() expects a function as its first argument, got 42 (number).',
    );
  });

  it.each([
    [undefined, 'got undefined (undefined)'],
    ['', "got '' (string)"],
    [7, 'got 7 (number)'],
  ])('moduleRef(%j) is refused', (specifier, got) => {
    const error = thrown(() => moduleRef(specifier as never)) as CaptureError;
    expect(error.path).toBe('moduleRef');
    expect(error.message).toContain(
      `expects a module specifier such as 'node:path' or 'lodash', ${got}.`,
    );
  });

  it('an export name that is not a string is refused', () => {
    const error = thrown(() => moduleRef('node:path', 1 as never)) as CaptureError;
    expect(error.path).toBe('moduleRef');
    expect(error.message).toContain(
      "moduleRef('node:path', exportName) expects the export's name as a string, got 1 (number).",
    );
  });

  it('a specifier that resolves to no file (a data: URL) is refused, cut to 80 characters', () => {
    const specifier = `data:text/javascript,${'x'.repeat(100)}`;
    const error = thrown(() => moduleRef(specifier)) as CaptureError;
    expect(error.path).toBe('moduleRef');
    expect(error.message).toBe(
      `moduleRef('${specifier.slice(0, 80)}') resolves to ${specifier.slice(0, 80)}, not to a file: a worker imports only Node builtins and files. Install the module, or write it to a file.`,
    );
  });
});

describe('describe: how messages name a value', () => {
  it.each([
    [null, 'null'],
    [function named() {}, 'function named'],
    [(() => () => {})(), 'function (anonymous)'],
    [{}, 'an object'],
    [Object.create(null), 'an object'],
    [new Map(), 'an instance of Map'],
    ['x'.repeat(40), `'${'x'.repeat(40)}' (string)`],
    ['x'.repeat(41), `'${'x'.repeat(40)}…' (string)`],
    [3n, '3 (bigint)'],
  ])('%s', (value, text) => {
    expect(describeValue(value)).toBe(text);
  });
});

describe('secrets', () => {
  it.each([
    [undefined, 'got nothing'],
    [42, 'got number'],
    ['short', 'got 5 bytes'],
    [Buffer.alloc(31), 'got 31 bytes'],
  ])('%j is refused, with how to make one', (secret, got) => {
    const error = thrown(() => checkSecret(secret, 'secret'));
    expect(error).toBeInstanceOf(ClosurePoolError);
    expect((error as ClosurePoolError).code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(error.message).toContain(
      `Expected \`secret\` to be a secret of at least 32 bytes (a string or Buffer), ${got}.`,
    );
    expect(error.message).toContain("randomBytes(32).toString('base64')");
  });

  it('32 bytes, as a string or a Buffer, are enough', () => {
    expect(() => checkSecret('s'.repeat(32), 'secret')).not.toThrow();
    expect(() => checkSecret(Buffer.alloc(32), 'secret')).not.toThrow();
  });

  it('a signature of another length is refused without comparing', () => {
    const error = thrown(() =>
      verifySignature({ hash: 'a'.repeat(64), signature: 'ab' }, 's'.repeat(32)),
    );
    expect(error.message).toContain('signature does not match');
  });
});

describe('capture.auto', () => {
  it('is the capture that reads names from the scope; capture() never is', async () => {
    // capture.auto is made when the module loads: a copy loaded in this test makes it here
    const fresh = await freshImport<typeof import('./capture.js')>('./capture.js');
    expect(fresh.capture.auto.implicit).toBe(true);
    expect(fresh.capture({}).implicit).toBe(false);
  });
});
