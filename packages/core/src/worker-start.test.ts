// What a pool thread loads before it can answer (issue 17): its own frames come from the main thread
// that analyzed and checked them, so the parser, the payload schema and node:crypto, which only
// untrusted input needs, stay out of its start, and out of the worker file.
import { readFileSync } from 'node:fs';
import { capture, moduleRef } from '@closure-pool/serializer';
import { afterAll, describe, expect, it } from 'vitest';
import { ClosurePool } from './pool.js';
import { findWorkerFile } from './worker-url.js';

const pool = new ClosurePool({ threads: 1 });
afterAll(() => pool.close());

/** The files and builtins the pool's thread has loaded, after running a call with a capture. */
function loadedInThread(): Promise<{ files: string[]; builtins: string[] }> {
  const y = 2;
  const nodeModule = moduleRef<{ default: { _cache: object } }>('node:module');
  return pool.apply(
    (x: number) => {
      if (x * y !== 6) throw new Error('the call itself failed');
      return {
        files: Object.keys(nodeModule.default._cache),
        builtins: (process as unknown as { moduleLoadList: string[] }).moduleLoadList,
      };
    },
    [3],
    capture({ y, nodeModule }),
  );
}

describe("a pool thread's start", () => {
  it('the worker file leaves out the parser, the schema and tslib, which it loads only if asked to', () => {
    const bundle = readFileSync(findWorkerFile(), 'utf8');
    const has = (pattern: RegExp) => pattern.test(bundle);
    // loaded by name, on demand, from the package's dependencies
    expect(has(/(import|require)\("acorn"\)/)).toBe(true);
    expect(has(/(import|require)\("zod\/mini"\)/)).toBe(true);
    expect(has(/require\("tslib"\)/)).toBe(true);
    // not bundled: acorn's own error text and zod's error class
    expect(has(/Unexpected token/)).toBe(false);
    expect(has(/\$ZodError/)).toBe(false);
    expect(has(/__createBinding/)).toBe(false); // tslib's, loaded when a payload names a helper
    expect(bundle.length).toBeLessThan(80_000);
  });

  it('a call runs without loading the parser, the schema or node:crypto in the thread', async () => {
    const { files, builtins } = await loadedInThread();
    expect(files.some((file) => /[\\/]acorn[\\/]/.test(file))).toBe(false);
    expect(files.some((file) => /[\\/]zod[\\/]/.test(file))).toBe(false);
    expect(builtins).not.toContain('NativeModule crypto');
    expect(files.some((file) => /[\\/]tslib[\\/]/.test(file))).toBe(false);
    // the observation itself works: the thread has loaded its worker file and node:v8
    expect(files.some((file) => /worker\.cjs$/.test(file))).toBe(true);
    expect(builtins).toContain('NativeModule v8');
  });

  it('a function compiled by tsc gets its helper: tslib is loaded then, by name', async () => {
    // what tsc writes for an async function below ES2017
    const compiled = new Function(
      'return function () { return __awaiter(this, void 0, void 0, function* () { return yield Promise.resolve(5); }); }',
    )();
    expect(await pool.apply(compiled, [])).toBe(5);
    const { files } = await loadedInThread();
    expect(files.some((file) => /[\\/]tslib[\\/]/.test(file))).toBe(true);
  });
});
