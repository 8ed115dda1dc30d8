// Stacks that point at the user's code, without a pool: a frame of a function rebuilt from its
// payload is moved back to this file, where the function was written.

import { Script } from 'node:vm';
import {
  deserializeClosure,
  encodeClosure,
  frameToPayload,
  scriptName,
  sourcePosition,
} from '@closure-pool/serializer';
import { describe, expect, it } from 'vitest';
import { callSite, framesOf, type Origins, userStack } from './user-frames.js';

/**
 * A function written in a script of its own, as plain JavaScript: its frames are V8's own positions
 * (this file's frames are moved by vitest's source maps, the inspector's are not).
 */
function written(source: string): (x: number) => unknown {
  return new Script(source, { filename: '/virtual/user-code.js' }).runInThisContext();
}

/** Where a stack's first frame in the user's script is: `line:column`. */
function inUserCode(stack: string): string | undefined {
  return /\/virtual\/user-code\.js:(\d+:\d+)/.exec(stack)?.[1];
}

/** Where `fn` throws when it runs in place. */
function thrownAt(fn: (x: number) => unknown): string | undefined {
  try {
    fn(1);
  } catch (error) {
    return inUserCode((error as Error).stack!);
  }
  return undefined;
}

async function rebuiltStack(fn: Function): Promise<{ stack: string; origins: Origins }> {
  const payload = frameToPayload(encodeClosure(fn).frame);
  const node = payload.functions[0]!;
  const rebuilt = (await deserializeClosure(payload)) as (x: number) => number;
  let stack = '';
  try {
    rebuilt(1);
  } catch (error) {
    stack = (error as Error).stack!;
  }
  const origins: Origins = new Map([
    [scriptName(node), { fn, source: node.source, ...sourcePosition(node) }],
  ]);
  return { stack, origins };
}

describe('userStack', () => {
  it.each([
    [
      'a throw on a later line',
      '\n\n  (x) => {\n    if (x > 0) {\n      throw new Error("boom");\n    }\n  }',
    ],
    [
      'a throw on the first line, where the column is moved too',
      '  (x) => { throw new Error("one " + x); }',
    ],
    ['a function expression', '(function named(x) { if (x) throw new Error("f"); })'],
    [
      'an async-free generator-free method, renamed in the payload',
      '({ scale(x) { throw new Error("m"); } }).scale',
    ],
    [
      'a method with a long key',
      '({ aMuchLongerKey(x) { return x.missing.property; } }).aMuchLongerKey',
    ],
    ['a throw on the first line of several', '(x) => { throw new Error("first");\n  return x; }'],
  ])("%s: the rebuilt function's frame is moved to where it was written", async (_case, source) => {
    const fn = written(source);
    const { stack, origins } = await rebuiltStack(fn);
    expect(stack).toMatch(/closure-pool:\/\/\/\w+\.js:\d+:\d+/);
    const moved = userStack(stack, origins);
    expect(moved).not.toMatch(/closure-pool:\/\//);
    expect(inUserCode(moved)).toBe(thrownAt(fn));
    expect(thrownAt(fn)).toBeDefined();
  });

  it('frames of scripts it does not know, or before the source starts, stay as they are', async () => {
    const { stack, origins } = await rebuiltStack((x: number) => {
      throw new Error(`${x}`);
    });
    expect(userStack(stack, new Map())).toBe(stack);
    const [script, origin] = [...origins][0]!;
    const late = new Map([[script, { ...origin, line: 10_000 }]]);
    expect(userStack(stack, late)).toBe(stack);
    const foreign = 'Error: x\n    at closure-pool:///other.js:3:4';
    expect(userStack(foreign, origins)).toBe(foreign);
  });
});

describe('framesOf', () => {
  it("drops the message lines and the pool's own frames", () => {
    const stack = [
      'Error: two',
      'lines of message',
      '    at user (file:///app/main.js:1:2)',
      '    at run (/app/node_modules/@closure-pool/core/dist/worker.cjs:5:6)',
      '    at x (/app/closure-pool-worker.cjs:5:6)',
      '    at p (/app/node_modules/piscina/dist/worker.js:1:1)',
      '    at AsyncLocalStorage.run (node:async_hooks:1:1)',
      '    at caller (file:///app/main.js:9:9)',
    ].join('\n');
    expect(framesOf(stack)).toBe(
      '    at user (file:///app/main.js:1:2)\n    at caller (file:///app/main.js:9:9)',
    );
  });

  it('no stack, or none with frames, gives nothing', () => {
    expect(framesOf(undefined)).toBe('');
    expect(framesOf('')).toBe('');
    expect(framesOf('Error: no frames')).toBe('');
  });
});

describe('callSite', () => {
  it("captures the caller's frames, below the function named", () => {
    function api() {
      return callSite(api);
    }
    const site = api();
    expect(site.stack).toMatch(/^Error:? ?\n\s+at .*user-frames\.test\.ts/);
    expect(site.stack).not.toMatch(/at api /);
  });
});
