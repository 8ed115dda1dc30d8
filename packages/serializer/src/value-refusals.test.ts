// What can never travel whatever its class, told apart from what only looks like it; and how a
// refusal names the value and its path.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  builtinExportOf,
  builtinSpecifierOf,
  CANNOT_TRAVEL,
  globalObjectName,
  reasons,
  refusalOf,
  refused,
} from './value-refusals.js';

const require = createRequire(import.meta.url);
const tagged = (tag: string) => ({ [Symbol.toStringTag]: tag });

describe('refusalOf', () => {
  function* generator() {}
  async function* asyncGenerator() {}
  const { Module } = require('node:module') as { Module: new (id: string) => object };

  it.each([
    ['a generator object', generator(), 'a generator object'],
    ['an async generator object', asyncGenerator(), 'a generator object'],
    ['an object tagged Generator', tagged('Generator'), 'a generator object'],
    ['an object tagged AsyncGenerator', tagged('AsyncGenerator'), 'a generator object'],
    ['an array iterator', [1].values(), 'an iterator (Array Iterator)'],
    ['a Map iterator', new Map().keys(), 'an iterator (Map Iterator)'],
    ["CommonJS's module object", new Module('x'), "CommonJS's `module` object"],
  ])('%s is refused', (_, value, reason) => {
    expect(refusalOf(value as object)).toContain(reason);
  });

  it.each([
    ['tagged MyGenerator', tagged('MyGenerator')],
    ['tagged GeneratorLike', tagged('GeneratorLike')],
    ['tagged IteratorFactory', tagged('IteratorFactory')],
    ['an object with exports and require, of another class', { exports: {}, require: () => 1 }],
    [
      'an instance of a class named Module without require',
      new (class Module {
        exports = {};
      })(),
    ],
    ['an object without a prototype', Object.create(null)],
  ])('%s is not', (_, value) => {
    expect(refusalOf(value as object)).toBeUndefined();
  });
});

describe("instances of the runtime's own classes", () => {
  const { EventEmitter } = require('node:events') as typeof import('node:events');
  const { Server } = require('node:http') as typeof import('node:http');

  it.each([
    [
      'an EventEmitter',
      () => new EventEmitter(),
      /^an instance of EventEmitter, a class of node:events, whose state lives inside this thread .* Create it inside the function \(or once per thread, in the pool's init\)$/,
    ],
    ["http's Server", () => new Server(), /^an instance of Server, a class of node:http,/],
    [
      'an Intl.DateTimeFormat',
      () => new Intl.DateTimeFormat('en'),
      /^an instance of Intl\.DateTimeFormat, a global class of the runtime,/,
    ],
    [
      'Headers, with what to capture instead',
      () => new Headers(),
      /Capture its entries \(Object\.fromEntries\(headers\)\)/,
    ],
    [
      'URLSearchParams',
      () => new URLSearchParams('a=1'),
      /Capture its text \(params\.toString\(\)\)/,
    ],
    [
      'a KeyObject of node:crypto, with how to send it instead',
      () => require('node:crypto').createSecretKey(Buffer.alloc(32, 1)),
      /^a crypto key \(an instance of SecretKeyObject\), .* Pass it as an argument or an item instead/,
    ],
    [
      'a private KeyObject',
      () => require('node:crypto').generateKeyPairSync('ed25519').privateKey,
      /^a crypto key \(an instance of PrivateKeyObject\), .*key\.export\(\)/,
    ],
    [
      'an AbortController, with the call option that stops a call',
      () => new AbortController(),
      /give it the signal instead: pool\.map\(fn, items, \{ signal: controller\.signal \}\)/,
    ],
  ])('%s is refused, saying what it is', (_, make, reason) => {
    expect(refusalOf(make())).toMatch(reason);
  });

  it('a CryptoKey of the Web Crypto API is a crypto key too', async () => {
    const key = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
    expect(refusalOf(key)).toMatch(/^a crypto key \(an instance of CryptoKey\),/);
  });

  it("a class of the user's that extends one is left to registerClass", () => {
    const { EventEmitter } = require('node:events') as typeof import('node:events');
    class Jobs extends EventEmitter {}
    expect(refusalOf(new Jobs())).toBeUndefined();
  });

  it('a class can say why its instances never travel', () => {
    class Pool {
      get [CANNOT_TRAVEL]() {
        return 'a Pool, whose threads are here';
      }
    }
    expect(refusalOf(new Pool())).toBe('a Pool, whose threads are here');
  });
});

describe("this thread's own globals, and what belongs to a module or to the event loop", () => {
  it.each([
    [
      'Math',
      Math,
      /^the global `Math` of this thread; .*a copy would arrive as \{\}.* read `Math` by name/,
    ],
    ['JSON', JSON, /^the global `JSON` of this thread;/],
    ['Reflect', Reflect, /^the global `Reflect` of this thread;/],
    ['Atomics', Atomics, /^the global `Atomics` of this thread;/],
    ['Intl', Intl, /^the global `Intl` of this thread;/],
    ['process', process, /^the global `process` of this thread; .*a plain object, not it/],
    ['console', console, /^the global `console` of this thread;/],
    [
      'globalThis',
      globalThis,
      /^the global `globalThis` of this thread; .*read each global by name/,
    ],
    ['performance', performance, /^the global `performance` of this thread;/],
    [
      'Map.prototype',
      Map.prototype,
      /^the global `Map\.prototype` of this thread; .*arrive as \{\}/,
    ],
    ['Object.prototype', Object.prototype, /^the global `Object\.prototype` of this thread;/],
    ['Array.prototype', Array.prototype, /^the global `Array\.prototype` of this thread;/],
  ])('%s is refused, saying to read it by name in the worker', (_, value, reason) => {
    expect(refusalOf(value)).toMatch(reason);
  });

  it('an object that only looks like Math is not', () => {
    expect(refusalOf(Object.create(Math)) ?? '').not.toMatch(/the global/);
    expect(globalObjectName({})).toBeUndefined();
  });

  it('import.meta is refused, saying what to capture from it', () => {
    // a real import.meta, from Node's own loader (vitest's is a look-alike with a prototype)
    const encode = fileURLToPath(new URL('./encode.ts', import.meta.url));
    const script = `import { serializeClosure } from ${JSON.stringify(encode)};
      const meta = import.meta;
      try { serializeClosure(() => meta, { meta }); } catch (e) { console.log(e.message); }`;
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url)) },
    );
    expect(out).toMatch(
      /capture\.meta cannot travel to a worker: it is `import\.meta`, which belongs to its module\. .*import\.meta\.url/,
    );
  });

  it('a timer handle and an open file are refused, saying what to do inside', async () => {
    const timer = setTimeout(() => {}, 1_000);
    clearTimeout(timer);
    const immediate = setImmediate(() => {});
    clearImmediate(immediate);
    expect(refusalOf(timer)).toMatch(/^a timer \(what setTimeout or setImmediate returned\)/);
    expect(refusalOf(immediate)).toMatch(/^a timer/);
    const { open } = await import('node:fs/promises');
    const file = await open(new URL(import.meta.url));
    try {
      expect(refusalOf(file)).toMatch(/^an open file \(a FileHandle\).*Capture its path/);
    } finally {
      await file.close();
    }
  });

  it.each([
    [Symbol.iterator, /^a well-known symbol, Symbol\.iterator, .*write Symbol\.iterator inside/],
    [
      Symbol.for('app.key'),
      /^a registered symbol, Symbol\.for\("app\.key"\), .*write Symbol\.for\("app\.key"\) inside/,
    ],
    [Symbol('mine'), /^a Symbol, which is unique to the thread that made it/],
    [Symbol('Symbol.iterator'), /^a Symbol, which is unique/],
  ])('the symbol %s is refused, saying how to write it inside', (symbol, reason) => {
    expect(reasons.symbol(symbol)).toMatch(reason);
  });
});

describe('refused: the message', () => {
  it('names a symbol by its description, cut at 60 characters', () => {
    const long = Symbol('d'.repeat(100));
    expect(refused('capture.s', long, reasons.symbol(long)).message).toContain(
      `(got Symbol(${'d'.repeat(53)})`,
    );
  });

  it('cuts a path longer than 200 characters to its two ends', () => {
    const path = `capture.v${'.x'.repeat(150)}`;
    const message = refused(path, 1, 'r').message;
    expect(message.startsWith(`${path.slice(0, 100)}…${path.slice(-80)} cannot travel`)).toBe(true);
    const short = `capture.v${'.x'.repeat(95)}x`;
    expect(short.length).toBe(200);
    expect(refused(short, 1, 'r').message.startsWith(`${short} cannot travel`)).toBe(true);
  });

  it('a class without a name', () => {
    expect(reasons.unregistered('')).toBe(
      'an instance of a class without a name, whose class is not registered. Register it with registerClass(TheClass), create it inside the function, or import it with moduleRef()',
    );
    expect(reasons.subclass(undefined, 'Map')).toBe(
      'an instance of a subclass, a subclass of Map that a copy would turn back into a plain Map. Register it with registerClass(TheClass), or convert it to a plain Map',
    );
  });
});

describe("Node's builtins", () => {
  it('modules by their exports, those with an underscore in their name too', () => {
    expect(builtinSpecifierOf(require('node:path'))).toBe('node:path');
    expect(builtinSpecifierOf(require('node:child_process'))).toBe('node:child_process');
    expect(builtinSpecifierOf(require('node:worker_threads'))).toBe('node:worker_threads');
    for (const value of [null, undefined, 1, 'node:path', {}])
      expect(builtinSpecifierOf(value)).toBeUndefined();
  });

  it('functions by the module that exports them', () => {
    expect(builtinExportOf(require('node:timers/promises').setTimeout)).toEqual([
      'node:timers/promises',
      'setTimeout',
    ]);
    expect(builtinExportOf(require('node:path'))).toBeUndefined();
    expect(builtinExportOf(() => 1)).toBeUndefined();
  });
});
