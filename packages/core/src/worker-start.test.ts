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
  it('the worker file leaves out the parser and the schema, which it loads only if asked to', () => {
    const bundle = readFileSync(findWorkerFile(), 'utf8');
    const has = (pattern: RegExp) => pattern.test(bundle);
    // loaded by name, on demand, from the package's dependencies
    expect(has(/(import|require)\("acorn"\)/)).toBe(true);
    expect(has(/(import|require)\("zod\/mini"\)/)).toBe(true);
    // not bundled: acorn's own error text and zod's error class
    expect(has(/Unexpected token/)).toBe(false);
    expect(has(/\$ZodError/)).toBe(false);
    expect(bundle.length).toBeLessThan(80_000);
  });

  it('a call runs without loading the parser, the schema or node:crypto in the thread', async () => {
    const { files, builtins } = await loadedInThread();
    expect(files.some((file) => /[\\/]acorn[\\/]/.test(file))).toBe(false);
    expect(files.some((file) => /[\\/]zod[\\/]/.test(file))).toBe(false);
    expect(builtins).not.toContain('NativeModule crypto');
    // the observation itself works: the thread has loaded its worker file and node:v8
    expect(files.some((file) => /worker\.cjs$/.test(file))).toBe(true);
    expect(builtins).toContain('NativeModule v8');
  });
});
