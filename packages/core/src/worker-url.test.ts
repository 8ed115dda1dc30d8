// Where the worker file is found, and what a wrong `workerFile` option is told.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCode, InvalidArgumentError } from './errors.js';
import { findWorkerFile } from './worker-url.js';

describe('findWorkerFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'closure-pool-worker-url-'));
  const file = join(dir, 'worker.js');
  writeFileSync(file, '/* closure-pool standalone worker */');

  it('by default, the built worker beside the sources', () => {
    expect(findWorkerFile().href).toMatch(/\/packages\/core\/dist\/worker\.cjs$/);
  });

  it('a path, a file: URL string or a URL, when the file exists', () => {
    const url = pathToFileURL(file);
    expect(findWorkerFile(file).href).toBe(url.href);
    expect(findWorkerFile(url.href).href).toBe(url.href);
    expect(findWorkerFile(url)).toBe(url);
  });

  it('a file that does not exist is refused, saying what to copy there', () => {
    const missing = join(dir, 'nowhere.js');
    let thrown: unknown;
    try {
      findWorkerFile(missing);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect((thrown as Error).message).toBe(
      `\`workerFile\` names ${missing}, which does not exist. For an app bundled into one file, copy node_modules/@closure-pool/core/dist/closure-pool-worker.cjs beside the bundle, as worker.js (the name Piscina starts its threads on).`,
    );
  });

  it('something other than a path or URL is refused', () => {
    expect(() => findWorkerFile(5 as never)).toThrow(
      new InvalidArgumentError('Expected `workerFile` to be a path or a file: URL, got number.'),
    );
    try {
      findWorkerFile(5 as never);
    } catch (error) {
      expect((error as InvalidArgumentError).code).toBe(ErrorCode.INVALID_ARGUMENT);
    }
  });
});
