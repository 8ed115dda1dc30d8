// The names a function may use without capturing them are exactly those a fresh worker thread has:
// compared with one, on whichever Node runs the suite.
import { Worker } from 'node:worker_threads';
import { beforeEach, describe, expect, it } from 'vitest';
import { compilesCode } from './globals.js';
import { freshImport, roundTrip } from './test-helpers.js';

/** A fresh worker thread's global names (an ES module: no CommonJS names of its own). */
function freshWorkerGlobals(): Promise<string[]> {
  const source =
    "import { parentPort } from 'node:worker_threads'; parentPort.postMessage(Object.getOwnPropertyNames(globalThis));";
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`));
    worker.once('message', (names: string[]) => {
      resolve(names);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

// the list of Node's globals and the index of natives are built by the module: loaded for each
// test, so that each test builds them
let globals: typeof import('./globals.js');
beforeEach(async () => {
  globals = await freshImport('./globals.js');
});

describe('workerGlobals', () => {
  it('are the names a fresh worker thread has, all of them', async () => {
    const theirs = await freshWorkerGlobals();
    const ours = globals.workerGlobals();
    expect([...ours].filter((name) => !theirs.includes(name))).toEqual([]);
    expect(theirs.filter((name) => !ours.has(name))).toEqual([]);
  });

  it('leave out what the calling thread added to its own globals', () => {
    expect(globals.workerGlobals().has('__vitest_worker__')).toBe(false);
  });
});

describe('native functions by their global path', () => {
  it.each([
    [Math.max, 'Math.max'],
    [JSON.stringify, 'JSON.stringify'],
    [Array.prototype.join, 'Array.prototype.join'],
    [Array.isArray, 'Array.isArray'],
    [Buffer.from, 'Buffer.from'],
    [process.nextTick, 'process.nextTick'],
  ])('%o is %s', (fn, path) => {
    expect(globals.nativePath(fn as Function)).toBe(path);
    expect(globals.lookupGlobalPath(path)).toBe(fn);
  });

  it('a path that is not there, or runs into a primitive or undefined', () => {
    for (const path of [
      'Math.nothing',
      'nothing.at.all',
      'Math.PI.toFixed',
      'constructor',
      'undefined.x',
    ])
      expect(globals.lookupGlobalPath(path)).toBeUndefined();
  });

  it('eval and Function compile code', () => {
    // biome-ignore lint/security/noGlobalEval: compared, never called
    expect(compilesCode(globalThis.eval)).toBe(true);
    expect(compilesCode(Function)).toBe(true);
    expect(compilesCode(Math.max)).toBe(false);
  });
});

describe("a method of one of Node's globals that are getters (Buffer, process)", () => {
  it('travels by its path, and works in the worker', async () => {
    const from = Buffer.from;
    const back = await roundTrip(() => from('hi').toString('hex'), { from });
    expect(back()).toBe('6869');
  });
});
