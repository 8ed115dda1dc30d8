// How a payload is rebuilt, rule by rule: what each part of decode.ts decides, each pinned by a
// case (most found as mutants of decode.ts that no other test noticed, see stryker/).
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it, vi } from 'vitest';
import { capture, moduleRef } from './capture.js';
import { registerClass } from './classes.js';
import { deserializeClosure, scriptName, sourcePosition } from './decode.js';
import { encodeClosure, serializeClosure } from './encode.js';
import { ErrorCode, PayloadError } from './errors.js';
import { payloadToFrame } from './payload.js';
import { rehash, roundTrip } from './test-helpers.js';
import type { ValuesRoot } from './value-format.js';

type Json = ReturnType<typeof serializeClosure>;
/** Its source is the same as `shadowing`'s below, where `String` is the capture's. */
const plain = () => String(1);
const wire = (fn: Function, env?: Record<string, unknown>): Json =>
  JSON.parse(JSON.stringify(serializeClosure(fn, env)));

/** A payload's captured values edited as a sender with the format in hand could, then re-hashed. */
function editValues(payload: Json, edit: (root: ValuesRoot & Record<string, any>) => void): Json {
  const root = deserialize(Buffer.from(payload.values, 'base64'));
  edit(root);
  return rehash({ ...payload, values: serialize(root).toString('base64') });
}

/**
 * The node's source from where `run` threw, as `sourcePosition` maps the top frame of the rebuilt
 * function (its script `scriptName(node)`) back to it.
 */
function sourceAtThrow(node: Json['functions'][number], run: () => unknown): string {
  let stack = '';
  try {
    run();
  } catch (error) {
    stack = String((error as Error).stack);
  }
  const at = new RegExp(`${scriptName(node).replaceAll('$', '\\$')}:(\\d+):(\\d+)`).exec(stack);
  expect(at).not.toBeNull();
  const start = sourcePosition(node);
  const line = Number(at![1]) - start.line; // 0-based line in the source
  const column = Number(at![2]) - 1; // 0-based column
  return node.source.split('\n')[line]!.slice(column);
}

/** The PayloadError rebuilding `payload` fails with (and fails the test if it does not). */
async function refusal(payload: unknown, options = {}): Promise<PayloadError> {
  const error = await deserializeClosure(payload, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PayloadError);
  return error as PayloadError;
}

describe('what a function carried besides its source', () => {
  // an ES5 class as babel writes it: every member kind decode.ts puts back, with its descriptor
  function Base(this: any) {
    this.base = true;
  }
  (Base as any).create = () => 'made';
  Base.prototype.hello = function hello() {
    return 'base';
  };
  function Derived(this: any) {
    Base.call(this);
  }
  Object.setPrototypeOf(Derived, Base);
  Derived.prototype = Object.create(Base.prototype, {
    constructor: { value: Derived, writable: true, configurable: true },
  });
  (Derived as any).visible = 1;
  Object.defineProperty(Derived, 'hiddenStatic', { value: 2, writable: true, configurable: true });
  Derived.prototype.shown = function shown() {
    return 'shown';
  };
  Object.defineProperty(Derived.prototype, 'hiddenMethod', {
    value: function hiddenMethod() {
      return 'hidden';
    },
    writable: true,
    configurable: true,
  });
  Object.defineProperty(Derived.prototype, 'onlyGet', {
    get: function onlyGet() {
      return 'got';
    },
    configurable: true,
  });
  Object.defineProperty(Derived.prototype, 'onlySet', {
    set: function onlySet(this: any, v: unknown) {
      this.stored = v;
    },
    configurable: true,
  });
  Object.defineProperty(Derived.prototype, Symbol.iterator, {
    value: function* iterate() {
      yield 1;
    },
    writable: true,
    configurable: true,
  });
  Object.defineProperty(Derived.prototype, Symbol.toStringTag, {
    get: function tag() {
      return 'Derived!';
    },
    configurable: true,
  });

  /** Each own property's attributes (and whether it holds a getter, a setter, a value). */
  const shape = (target: object) =>
    Object.fromEntries(
      Reflect.ownKeys(target)
        .filter((key) => key !== 'prototype' && key !== 'length' && key !== 'name')
        .map((key) => {
          const { get, set, value, ...flags } = Object.getOwnPropertyDescriptor(target, key)!;
          const kinds = { get: typeof get, set: typeof set, value: typeof value };
          return [String(key), { ...flags, ...kinds }];
        }),
    );

  it('statics, hidden statics, methods, accessors and symbol members keep their attributes', async () => {
    const rebuilt = (await roundTrip(() => Derived, { Derived, Base }))() as typeof Derived;
    expect(rebuilt).not.toBe(Derived);
    expect(shape(rebuilt)).toEqual(shape(Derived));
    expect(shape(rebuilt.prototype)).toEqual(shape(Derived.prototype));
  });

  it('the class it extends, for its statics and for its instances', async () => {
    const rebuilt = (await roundTrip(() => Derived, { Derived, Base }))() as any;
    const parent = Object.getPrototypeOf(rebuilt);
    expect(parent.name).toBe('Base');
    expect(rebuilt.create()).toBe('made');
    expect(Object.getPrototypeOf(rebuilt.prototype)).toBe(parent.prototype);
    const instance = new rebuilt();
    expect([instance.base, instance.hello(), instance.shown(), instance.hiddenMethod()]).toEqual([
      true,
      'base',
      'shown',
      'hidden',
    ]);
    instance.onlySet = 5;
    expect([instance.onlyGet, instance.stored, [...instance], String(instance)]).toEqual([
      'got',
      5,
      [1],
      '[object Derived!]',
    ]);
  });

  it('a function set to inherit from another, its prototype left alone, keeps that prototype', async () => {
    function Parent() {}
    Parent.prototype.p = 1;
    function Child() {}
    Object.setPrototypeOf(Child, Parent);
    const rebuilt = (await roundTrip(() => Child, { Child }))() as any;
    expect(Object.getPrototypeOf(rebuilt).name).toBe('Parent');
    expect(Object.getPrototypeOf(rebuilt.prototype)).toBe(Object.prototype);
  });

  it('a member keyed by a symbol that is not well-known is refused', async () => {
    const payload = editValues(
      wire(() => Derived, { Derived, Base }),
      (root) => {
        const members = root.members.find((m) => m.symbols)!;
        members.symbols!.nonsense = members.symbols!.iterator!;
      },
    );
    const error = await refusal(payload);
    expect(error.message).toBe(
      'Invalid closure payload: Symbol.nonsense is not a well-known symbol.',
    );
    expect(error.field).toBe('values');
  });
});

describe('instances', () => {
  it('an instance of a class defined after the values (it extends a captured class) is of that class', async () => {
    class Base {
      base() {
        return 'base';
      }
    }
    class Derived extends Base {
      own = 1;
    }
    registerClass(Derived);
    const instance = new Derived();
    const fn = () => [
      instance instanceof Derived,
      instance instanceof Base,
      instance.base(),
      instance.own,
    ];
    expect((await roundTrip(fn, { instance, Derived, Base }))()).toEqual([true, true, 'base', 1]);
  });
});

describe('names', () => {
  it('a name too long to carry is left out, not turned into "undefined"', async () => {
    const fn = (x: number) => x;
    Object.defineProperty(fn, 'name', { value: 'n'.repeat(201) });
    expect(wire(fn).functions[0]!.name).toBeUndefined();
    const rebuilt = await roundTrip(fn);
    expect(rebuilt.name).toBe('');
    expect(rebuilt(3)).toBe(3);
  });

  it('a renamed function takes its name back, configurable as any function name', async () => {
    const tools = {
      scale(a: number) {
        return a;
      },
    };
    const rebuilt = await roundTrip(tools.scale);
    expect(Object.getOwnPropertyDescriptor(rebuilt, 'name')).toEqual({
      value: 'scale',
      writable: false,
      enumerable: false,
      configurable: true,
    });
  });

  it('one source under two names compiles twice: a class sees its own name while defined', async () => {
    // the same text, so the same source: only the names they are defined under differ
    const First = class {
      m() {}
      static {
        // biome-ignore lint/complexity/noThisInStatic: the class reads its own name while defined
        Object.defineProperty(this, 'seen', { value: this.name });
      }
    };
    const Second = class {
      m() {}
      static {
        // biome-ignore lint/complexity/noThisInStatic: the class reads its own name while defined
        Object.defineProperty(this, 'seen', { value: this.name });
      }
    };
    expect([(First as any).seen, (Second as any).seen]).toEqual(['First', 'Second']);
    const rebuild = async (fn: Function) =>
      (
        await deserializeClosure(
          wire(() => fn, { fn }),
          { trusted: true },
        )
      )();
    const [first, second] = [await rebuild(First), await rebuild(Second)];
    expect([first.name, first.seen, second.name, second.seen]).toEqual([
      'First',
      'First',
      'Second',
      'Second',
    ]);
  });

  it('one source with different captured names compiles twice', async () => {
    // biome-ignore lint/suspicious/noShadowRestrictedNames: the case is a capture named as a global
    const String = (x: number) => `mine ${x}`;
    const shadowing = () => String(1);
    expect(wire(plain).functions[0]!.source).toBe(wire(shadowing, { String }).functions[0]!.source);
    expect((await roundTrip(plain))()).toBe('1');
    expect((await roundTrip(shadowing, { String }))()).toBe('mine 1');
  });

  it('the script a rebuilt function runs as is named after it, in characters a URL keeps', () => {
    const node = { source: '', names: [], helpers: [] };
    expect(scriptName({ ...node, name: 'a b/c$d.e-f_g' })).toBe('closure-pool:///a_b_c$d.e-f_g.js');
    expect(scriptName({ ...node, name: '' })).toBe('closure-pool:///anonymous.js');
    expect(scriptName(node)).toBe('closure-pool:///anonymous.js');
  });

  it("sourcePosition maps a frame of the rebuilt function back to the function's own source", async () => {
    const fn = (x: number) => {
      if (x > 0) throw new Error('boom');
      return x;
    };
    const payload = wire(fn, { x: 1 });
    const node = payload.functions[0]!;
    const rebuilt = (await deserializeClosure(payload)) as typeof fn;
    expect(sourceAtThrow(node, () => rebuilt(1))).toMatch(/^new Error\(['"]boom['"]\)/);
    const start = sourcePosition(node);
    expect(start.line).toBeGreaterThan(2);
  });
});

describe('a function that calls itself by a captured name (`node.self`)', () => {
  const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2));

  it('is marked, and rebuilt calling itself', async () => {
    const payload = wire(fib, { fib });
    expect(payload.functions[0]).toMatchObject({ names: ['fib'], self: 'fib' });
    const rebuilt = (await deserializeClosure(payload)) as typeof fib;
    expect(rebuilt(20)).toBe(6765);
    const nested = wire((n: number) => fib(n), { fib });
    expect(nested.functions.map((node) => node.self)).toEqual([undefined, 'fib']);
    expect(((await deserializeClosure(nested)) as typeof fib)(10)).toBe(55);
  });

  it('is not marked where the function assigns the name, or the name is another value', async () => {
    let countdown = (n: number): string => {
      if (n > 0) return countdown(n - 1);
      countdown = () => 'replaced';
      return 'done';
    };
    const payload = wire(countdown, { countdown });
    expect(payload.functions[0]!.self).toBeUndefined();
    const rebuilt = (await deserializeClosure(payload)) as typeof countdown;
    expect([rebuilt(2), rebuilt(2)]).toEqual(['done', 'replaced']);
    const other = wire((n: number) => (n < 2 ? n : fib(n - 1)), { fib });
    expect(other.functions[0]!.self).toBeUndefined();
  });

  it('maps its frames to its own source, with the constant around it', async () => {
    const fail = (n: number): number => {
      if (n === 0) throw new Error('boom');
      return fail(n - 1);
    };
    const payload = wire(fail, { fail });
    const node = payload.functions[0]!;
    expect(node.self).toBe('fail');
    const rebuilt = (await deserializeClosure(payload)) as typeof fail;
    expect(sourceAtThrow(node, () => rebuilt(2))).toMatch(/^new Error\(['"]boom['"]\)/);
  });

  it('in an untrusted payload: the name is the function itself, and must be one it captures', async () => {
    const payload = wire(fib, { fib });
    const stranger = editValues(payload, () => {});
    expect(((await deserializeClosure(stranger)) as typeof fib)(10)).toBe(55);
    const unknown = rehash({
      ...payload,
      functions: [{ ...payload.functions[0]!, self: 'other' }],
    });
    const error = await refusal(unknown);
    expect(error.message).toMatch(/self/);
    expect(error.message).toMatch(/must be one of names/);
  });
});

describe('refusals of a payload that names what it does not have', () => {
  it('a class whose definition needs itself', async () => {
    class Parent {}
    class Child extends Parent {}
    const payload = wire(() => new Child(), { Child, Parent });
    const child = payload.functions.findIndex((f) => f.name === 'Child');
    const parent = payload.refs.findIndex(
      (r) => 'fn' in r && payload.functions[r.fn]!.name === 'Parent',
    );
    payload.refs[parent] = { fn: child };
    const error = await refusal(rehash(payload), { trusted: true });
    expect(error.message).toBe(
      `Invalid closure payload: functions.${child} is a class whose definition needs itself.`,
    );
    expect(error.field).toBe(`functions.${child}`);
  });

  const max = Math.max;
  it('a native that compiles code from strings, by any path, even in a trusted payload', async () => {
    for (const native of ['eval', 'globalThis.eval', 'Function.prototype.constructor']) {
      const payload = wire(() => max(1), { max });
      payload.refs[0] = { native } as never;
      // a frame of this process's own is read without the schema, which refuses the plain names
      const error = await refusal(payloadToFrame(rehash(payload)), { trusted: true });
      expect(error.message).toBe(
        `Invalid closure payload: native ${native} compiles code from strings.`,
      );
      expect(error.field).toBe('native');
    }
  });

  it('a native this thread does not have', async () => {
    const payload = wire(() => max(1), { max });
    payload.refs[0] = { native: 'Math.nothingHere' } as never;
    const error = await refusal(rehash(payload));
    expect(error.message).toBe(
      'Invalid closure payload: native function Math.nothingHere does not exist in this thread.',
    );
    expect(error.field).toBe('native');
  });

  it('a ref past the end of the list', async () => {
    const helper = () => 1;
    const payload = wire(() => helper(), { helper });
    const forged = rehash({ ...payload, refs: [] });
    const error = await refusal(forged);
    expect(error.message).toBe(
      'Invalid closure payload: the values name ref 0, but there are only 0.',
    );
    expect(error.field).toBe('values');
  });

  it('environments for a different number of functions', async () => {
    const helper = () => 1;
    const two = wire(() => helper(), { helper });
    const one = wire(() => 1);
    const error = await refusal(rehash({ ...two, values: one.values }));
    expect(error.message).toBe(
      'Invalid closure payload: the values hold 1 environments for 2 functions.',
    );
    expect(error.field).toBe('values');
    const members = editValues(two, (root) => {
      root.members.pop();
    });
    expect((await refusal(members)).message).toMatch(
      /the values hold 2 environments for 2 functions/,
    );
  });

  it('an export its module does not have', async () => {
    const join = moduleRef('node:path', 'join');
    const payload = wire((a: string) => join(a, 'b'), { join });
    payload.modules[0] = { ...payload.modules[0]!, exportName: 'noSuchExport' };
    const error = await refusal(rehash(payload), { trusted: true });
    expect(error.message).toBe("node:path has no export named 'noSuchExport'.");
    expect(error.field).toBe('modules.0.exportName');
  });

  it('a module the thread cannot import', async () => {
    const join = moduleRef('node:path', 'join');
    const payload = wire((a: string) => join(a, 'b'), { join });
    payload.modules[0] = { ...payload.modules[0]!, url: 'node:no-such-module' };
    const error = await refusal(rehash(payload), { trusted: true });
    expect(error.message).toMatch(/^The worker cannot import node:no-such-module: .+\.$/);
    expect(error.field).toBe('modules.0');
  });
});

describe('sources', () => {
  it('an untrusted source that does not parse', async () => {
    const payload = wire((x: number) => x);
    payload.functions[0]!.source = '((x) => )';
    const error = await refusal(rehash(payload));
    expect(error.message).toMatch(
      /^Invalid closure payload: functions\.0\.source does not parse: .+\.$/,
    );
    expect(error.field).toBe('functions.0.source');
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('a source that parses as script code but does not compile in strict mode', async () => {
    const payload = wire((x: number) => x);
    payload.functions[0]!.source = '(function (a) { with (a) { return 1; } })';
    const error = await refusal(rehash(payload));
    expect(error.message).toMatch(/^Invalid closure payload: functions\.0 does not compile: .+\.$/);
    expect(error.field).toBe('functions.0');
    expect(error.code).toBe(ErrorCode.PAYLOAD_COMPILE_FAILED);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('a trusted source is compiled unparsed, and a broken one still fails as a compile error', async () => {
    const payload = wire((x: number) => x);
    payload.functions[0]!.source = '((x) => {';
    const error = await refusal(rehash(payload), { trusted: true });
    expect(error.code).toBe(ErrorCode.PAYLOAD_COMPILE_FAILED);
    expect(error.field).toBe('functions.0');
  });

  it.each([
    ['a method', '({ m(x) { return x + 1; } }).m', true],
    ['a method of an unparenthesized object', '{ m(x) { return x + 1; } }.m', true],
    ['a parenthesized method', '(({ m(x) { return x + 1; } }).m)', true],
    ['a method of an object with two', '({ m(x) { return x + 1; }, n() {} }).m', false],
    ['a property that is an arrow, not a method', '({ m: (x) => x + 1 }).m', false],
    ['another property of the object', '({ m(x) { return x + 1; } }).n', false],
    ['a computed method', '({ ["m"](x) { return x + 1; } }).m', false],
    ['a method read by index', '({ m(x) { return x + 1; } })["m"]', false],
    ['a member of something other than an object', '[(x) => x + 1].m', false],
    ['a function expression', '(function (x) { return x + 1; })', true],
    ['an async arrow', '(async (x) => x + 1)', true],
    ['a class', '(class { static m(x) { return x + 1; } })', true],
    ['a call', '((x) => x + 1)(1)', false],
    ['two expressions', '((x) => x + 1), 1', false],
  ])('untrusted, %s is one function: %s', async (_case, source, accepted) => {
    const payload = wire((x: number) => x + 1);
    payload.functions[0]!.source = source;
    const result = deserializeClosure(rehash(payload));
    if (accepted) await expect(result).resolves.toBeTypeOf('function');
    else
      await expect(result).rejects.toThrow(
        /^Invalid closure payload: functions\.0\.source is not a single function expression\.$/,
      );
  });
});

describe("a class's definition in an untrusted payload: what runs when it is rebuilt", () => {
  const refused = (what: string) =>
    new RegExp(`\\(${what.replace(/[()`[\]]/g, '\\$&')}\\)\\. Sign it and pass the secret`);
  it.each([
    ['static x = 1', undefined],
    ['static x = -1', undefined],
    ['static x = "s"', undefined],
    ['static x = `plain`', undefined],
    ['static x = () => 1', undefined],
    ['static x = function () { return 1; }', undefined],
    ['static x', undefined],
    ['x = sideEffect()', undefined],
    ['[1]() { return 1; }', undefined],
    ['["named"]() { return 1; }', undefined],
    ['m() { return 1; }', undefined],
    ['static { __name(this, "A"); }', undefined],
    ['static {}', undefined],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source of a template literal
    ['static x = `${sideEffect()}`', 'the initializer of static x'],
    ['static x = -sideEffect()', 'the initializer of static x'],
    ['static x = sideEffect()', 'the initializer of static x'],
    ['static x = class {}', 'the initializer of static x'],
    ['static ["x"] = sideEffect()', 'the initializer of static field'],
    ['static [sideEffect()] = 1', 'a computed key'],
    ['[sideEffect()]() {}', 'a computed key'],
    ['static { sideEffect(); }', 'a static block'],
    ['static { __name(this, "A"); sideEffect(); }', 'a static block'],
    ['static { if (true) __name(this, "A"); }', 'a static block'],
    ['static { sideEffect(this, "A"); }', 'a static block'],
    ['static { __name.call(this, "A"); }', 'a static block'],
    ['static { __name(this); }', 'a static block'],
    ['static { __name(globalThis, "A"); }', 'a static block'],
    ['static { __name(this, 1); }', 'a static block'],
    ['static { __name(this, sideEffect); }', 'a static block'],
    ['static { __name; }', 'a static block'],
  ])('class A { %s }: %s', async (member, runs) => {
    const sideEffect = () => 1;
    const payload = wire(() => sideEffect(), { sideEffect });
    const node = payload.functions[0]!;
    node.source = `(class A { ${member} })`;
    node.names = member.includes('sideEffect') ? ['sideEffect'] : [];
    // esbuild's keepNames helper, as it comes: the worker's own
    node.helpers = member.includes('__name') ? ['__name'] : [];
    const result = deserializeClosure(rehash(payload));
    if (runs === undefined) await expect(result).resolves.toBeTypeOf('function');
    else await expect(result).rejects.toThrow(refused(runs));
  });

  it('extends a captured class by name, but not an expression', async () => {
    class Base {}
    const payload = wire(() => new Base(), { Base });
    payload.functions[0]!.source = '(class A extends Base {})';
    payload.functions[0]!.names = ['Base'];
    await expect(deserializeClosure(rehash(payload))).resolves.toBeTypeOf('function');
    payload.functions[0]!.source = '(class A extends (Base, Base) {})';
    await expect(deserializeClosure(rehash(payload))).rejects.toThrow(
      refused('an `extends` expression'),
    );
  });
});

describe('options', () => {
  it('the SharedArrayBuffers beside a frame are the memory the rebuilt function reads', async () => {
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const encoded = encodeClosure(() => Atomics.add(shared, 1, 1), capture({ shared }));
    expect(encoded.shared).toHaveLength(1);
    const rebuilt = (await deserializeClosure(encoded.frame, {
      trusted: true,
      ...(encoded.shared ? { shared: encoded.shared } : {}),
    })) as () => number;
    rebuilt();
    rebuilt();
    expect(shared[1]).toBe(2);
  });

  it('a hash given for a frame is checked against the frame', async () => {
    const { frame } = encodeClosure((x: number) => x);
    const wrong = '0'.repeat(64);
    for (const trusted of [true, false])
      expect((await refusal(frame, { trusted, hash: wrong })).message).toMatch(/hash/);
  });

  it('compiler helpers are loaded for a payload whose later function needs one', async () => {
    vi.resetModules();
    const fresh = await import('./decode.js');
    const h = () => 1;
    const payload = wire(() => h(), { h });
    const later = payload.functions.findIndex((f) => f.name === 'h');
    expect(later).toBeGreaterThan(0);
    payload.functions[later] = {
      ...payload.functions[later]!,
      source: '(() => __name)',
      helpers: ['__name'],
    };
    const rebuilt = (await fresh.deserializeClosure(rehash(payload), {
      trusted: true,
    })) as () => Function;
    expect(rebuilt()).toBeTypeOf('function');
  });
});
