// Functions as compilers, bundlers, coverage tools and plain code produce them (issue 13): each
// works in the rebuilt copy as in place, or is refused here with the fix. packages/toolchains runs
// the same features through the real tools and a real pool; these pin each rule down.
import { createRequire, Module } from 'node:module';
import { describe, expect, it } from 'vitest';
import { capture } from './capture.js';
import { registerClass } from './classes.js';
import { deserializeClosure } from './decode.js';
import { serializeClosure } from './encode.js';
import { refusalMessage as message, roundTrip } from './test-helpers.js';

// names the functions below read from the capture (or, for `window`, from nowhere)
declare const window: unknown;
declare const p: { peek(): number };
declare const w: { cents: number };
declare const n: unknown;

/** A function as a compiler wrote it: its source, with `names` free (bound to `values` here). */
function compiled(names: Record<string, unknown>, source: string): Function {
  return new Function(...Object.keys(names), `return ${source}`)(...Object.values(names));
}

/** What a pool's own worker does: a payload from this process is trusted. */
async function rebuiltTrusted<F extends Function>(
  fn: F,
  env?: Record<string, unknown>,
): Promise<F> {
  const wire = JSON.parse(JSON.stringify(serializeClosure(fn, env)));
  return (await deserializeClosure(wire, { trusted: true })) as F;
}

describe('compiler output', () => {
  it("tsc's `__awaiter(this, …)` in an arrow travels; a lowered body that reads `this` is refused", async () => {
    const awaiter = (globalThis as any).__awaiter ?? (await import('tslib')).__awaiter;
    const fn = compiled(
      { __awaiter: awaiter },
      '(x) => __awaiter(this, void 0, void 0, function* () { return (yield Promise.resolve(x)) + 1; })',
    );
    expect(await (await roundTrip(fn))(1)).toBe(2);
    const readsThis = compiled(
      { __awaiter: awaiter },
      '(x) => __awaiter(this, void 0, void 0, function* () { return this.base + x; })',
    );
    expect(message(() => serializeClosure(readsThis))).toMatch(/`this` from the code around it/);
  });

  it("istanbul's counters travel as a no-op: counted where the code runs in place", async () => {
    const counts = { s: [0, 0], f: [0], b: [[0, 0]] };
    const cov_1x2y = () => counts;
    const fn = compiled(
      { cov_1x2y },
      '(x) => { cov_1x2y().f[0]++; cov_1x2y().s[0]++; return x > 0 ? (cov_1x2y().b[0][0]++, x * 2) : (cov_1x2y().b[0][1]++, 0); }',
    );
    expect(await (await roundTrip(fn))(3)).toBe(6);
    expect(counts).toEqual({ s: [0, 0], f: [0], b: [[0, 0]] }); // the worker's run is not the caller's
    expect(fn(3)).toBe(6);
    expect(counts.s[0]).toBe(1);
  });

  it("babel's and SWC's inline helpers come from @babel/runtime and @swc/helpers", async () => {
    const fn = compiled(
      { _classCallCheck: () => {}, _to_consumable_array: (a: unknown[]) => [...a] },
      '(xs) => { function P() { _classCallCheck(this, P); } new P(); return _to_consumable_array(xs).concat(1); }',
    );
    expect((await roundTrip(fn))([0])).toEqual([0, 1]);
  });

  it('a CommonJS import binding (`helper_1.triple`) reads as the import the capture holds', async () => {
    const triple = (x: number) => x * 3;
    const fn = compiled(
      { helper_1: { triple } },
      '(x) => (0, helper_1.triple)(x) + helper_1.triple(1)',
    );
    expect((await roundTrip(fn, { triple }))(2)).toBe(9);
  });

  it('an ES5 class as babel writes it: hidden methods, accessors, symbol keys and the class it extends', async () => {
    function Animal(this: any, name: string) {
      this.name = name;
    }
    Object.defineProperty(Animal.prototype, 'speak', {
      value(this: any) {
        return `${this.name} speaks`;
      },
    });
    function Dog(this: any, name: string) {
      return Reflect.construct(Animal, [name], Dog);
    }
    Object.setPrototypeOf(Dog, Animal);
    Dog.prototype = Object.create(Animal.prototype, { constructor: { value: Dog } });
    Object.defineProperty(Dog.prototype, 'loud', {
      get(this: any) {
        return this.speak().toUpperCase();
      },
    });
    Object.defineProperty(Dog.prototype, Symbol.iterator, {
      value: function iterate(this: any) {
        return [this.name][Symbol.iterator]();
      },
    });
    const fn = (n: string) => {
      const d = new (Dog as any)(n);
      return [d.speak(), d.loud, [...d], d instanceof Animal];
    };
    expect((await roundTrip(fn, { Dog, Animal }))('rex')).toEqual([
      'rex speaks',
      'REX SPEAKS',
      ['rex'],
      true,
    ]);
  });

  it('a generator lowered by regenerator is refused with the target to compile for', () => {
    const lowered = () => {};
    lowered.prototype = Object.create({ [Symbol.toStringTag]: 'Generator' });
    expect(message(() => serializeClosure(() => lowered(), { lowered }))).toMatch(
      /lowered for an old target.*native generators/,
    );
  });
});

describe('classes whose definition reads their captures', () => {
  it('`extends` a captured class, with super calls', async () => {
    class A {
      hello() {
        return 'a';
      }
    }
    class B extends A {
      override hello() {
        return `${super.hello()}b`;
      }
    }
    const fn = () => [new B().hello(), new B() instanceof A];
    expect((await roundTrip(fn, { B, A }))()).toEqual(['ab', true]);
  });

  it('computed keys and static parts see their captures, and the functions they call are bound', async () => {
    const key = 'greet';
    const suffix = '!';
    const shout = (s: string) => s.toUpperCase() + suffix;
    class G {
      static label = shout('g');
      [key]() {
        return 'hi';
      }
    }
    const fn = () => [new G().greet(), G.label];
    const rebuilt = await rebuiltTrusted(fn, { G, key, shout, suffix });
    expect(rebuilt()).toEqual(['hi', 'G!']);
  });
});

describe('names and refusals in the user’s words', () => {
  it('keeps fn.name and fn.length, of methods and anonymous functions too', async () => {
    const tools = {
      scale(a: number, b: number) {
        return a * b;
      },
    };
    const nameless = [(a: number, _b: number) => a][0]!;
    const { scale } = tools;
    const fn = () => [scale.name, scale.length, nameless.name, nameless.length];
    expect((await roundTrip(fn, { scale, nameless }))()).toEqual(['scale', 2, '', 2]);
    expect((await roundTrip(tools.scale)).name).toBe('scale');
  });

  it('a feature test of a global the worker lacks is no capture; one the caller has is', async () => {
    const fn = () => typeof window === 'undefined';
    expect((await roundTrip(fn))()).toBe(true);
    (globalThis as any).window = {};
    try {
      expect(message(() => serializeClosure(() => typeof window))).toMatch(/uses window/);
    } finally {
      delete (globalThis as any).window;
    }
  });

  it('a bundler-renamed name is shown as what the user wrote', () => {
    const fn = compiled({}, '() => y2 + 1');
    expect(message(() => serializeClosure(fn))).toMatch(
      /y2 \(probably your `y`, renamed by a bundler\).*Fix: capture\(\{ y \}\)/,
    );
  });

  it('CommonJS names, babel’s `_this` and minified names each say their own fix', () => {
    const req = compiled({}, "(p) => require('node:path').basename(p)");
    expect(message(() => serializeClosure(req))).toMatch(
      /CommonJS's own.*moduleRef\('node:path'\)/,
    );
    const self = compiled({}, '() => _this.base');
    expect(message(() => serializeClosure(self))).toMatch(/`this`, as babel or SWC renames it/);
    const minified = compiled({}, '(e)=>e**u');
    expect(message(() => serializeClosure(minified, capture({ y: 2 })))).toMatch(
      /look minified.*\(y\).*--minify-whitespace/,
    );
  });

  it("CommonJS's own `require` and `module`, captured, are refused with moduleRef advice", () => {
    const require = createRequire(import.meta.url);
    expect(message(() => serializeClosure(() => require, { require }))).toMatch(
      /capture\.require is CommonJS's `require`.*moduleRef\('node:path'\)/,
    );
    const module = new Module('/x.js');
    expect(message(() => serializeClosure(() => module, { module }))).toMatch(
      /CommonJS's `module` object.*moduleRef/,
    );
  });

  it('a method that reads `this` is refused as the task or a capture; on its object it travels', async () => {
    const account = {
      balance: 100,
      deposit(amount: number) {
        return this.balance + amount;
      },
    };
    expect(message(() => serializeClosure(account.deposit))).toMatch(
      /fn \(deposit\) reads `this`.*obj\.deposit\(x\)/,
    );
    const { deposit } = account;
    expect(message(() => serializeClosure((x: number) => deposit(x), { deposit }))).toMatch(
      /capture\.deposit \(deposit\) reads `this`/,
    );
    expect((await roundTrip((x: number) => account.deposit(x), { account }))(5)).toBe(105);
  });
});

describe('instances with #private state', () => {
  class Money {
    readonly #cents: number;
    constructor(cents: number) {
      (globalThis as { moneyMade?: number }).moneyMade =
        ((globalThis as { moneyMade?: number }).moneyMade ?? 0) + 1;
      this.#cents = cents;
    }
    get cents() {
      return this.#cents;
    }
  }
  class Plain {
    #hidden = 1;
    peek() {
      return this.#hidden;
    }
  }

  it('are refused without registerClass args, naming the class and the option', () => {
    registerClass(Plain);
    expect(message(() => serializeClosure(() => p.peek(), { p: new Plain(), Plain }))).toMatch(
      /capture\.p cannot travel.*an instance of Plain, whose #private.*registerClass\(Plain, \{ args:/,
    );
  });

  it('travel with args: the worker builds them with new Class(...args)', async () => {
    registerClass(Money, { args: (m: Money) => [m.cents] });
    const wallet = new Money(120);
    const fn = (extra: number) => [wallet.cents + extra, wallet instanceof Money];
    expect((await rebuiltTrusted(fn, { wallet, Money }))(5)).toEqual([125, true]);
  });

  it('an untrusted payload that would call a constructor is refused, and no constructor ran', async () => {
    registerClass(Money, { args: (m: Money) => [m.cents] });
    const wire = JSON.parse(
      JSON.stringify(serializeClosure(() => w.cents, { w: new Money(1), Money })),
    );
    const g = globalThis as { moneyMade?: number };
    const before = g.moneyMade;
    await expect(deserializeClosure(wire)).rejects.toThrow(
      /calling its constructor.*Nothing from it was run/,
    );
    expect(g.moneyMade).toBe(before);
  });

  it('args that hold the instance itself are refused', () => {
    class Node {
      readonly #next: unknown;
      constructor(next: unknown) {
        this.#next = next;
      }
      get next() {
        return this.#next;
      }
    }
    registerClass(Node, { args: (n: Node) => [n] });
    expect(message(() => serializeClosure(() => n, { n: new Node(null), Node }))).toMatch(
      /args contain the instance itself/,
    );
  });
});
