// The corpus: closures written the ways users write them, one language feature each. Every
// toolchain compiles this file; `run.ts` calls each case in place and in a pool's worker.
import { type Capture, capture, closure, registerClass } from '@closure-pool/core';
import { triple } from './helper.js';

/** Calls `fn(...args)`: in place, or in a worker (`captured` is its environment there). */
export type Call = (fn: Function, args: unknown[], captured?: Capture) => Promise<unknown>;

export interface Case {
  readonly feature: string;
  readonly run: (call: Call) => Promise<unknown>;
  /** Cannot work by its nature: the call site must refuse it, with a message matching this. */
  readonly refused?: RegExp;
}

const y = 3;

// a factory: its parameter shadows the module's `y`, which bundlers rename (`y` → `y2`)
const powerFactory = (y: number) => closure((x: number) => x ** y, { y });

class Animal {
  constructor(readonly name: string) {}
  speak(): string {
    return `${this.name} makes a sound`;
  }
}

class Dog extends Animal {
  override speak(): string {
    return `${super.speak()}, woof`;
  }
}

class Counter {
  count = 0;
  static made = 0;
  constructor() {
    Counter.made++;
  }
  add(n: number): number {
    this.count += n;
    return this.count;
  }
}

class Secret {
  #value: number;
  constructor(value: number) {
    this.#value = value;
  }
  #double(): number {
    return this.#value * 2;
  }
  get doubled(): number {
    return this.#double();
  }
}

class Temperature {
  #celsius = 0;
  get fahrenheit(): number {
    return (this.#celsius * 9) / 5 + 32;
  }
  set fahrenheit(f: number) {
    this.#celsius = ((f - 32) * 5) / 9;
  }
}

const methodKey = 'greet';
class Greeter {
  [methodKey](who: string): string {
    return `hello ${who}`;
  }
  *[Symbol.iterator]() {
    yield 1;
    yield 2;
  }
}

// biome-ignore lint/complexity/noStaticOnlyClass: the feature under test
class Registry {
  static entries: number[];
  static {
    Registry.entries = [y, y * 2];
  }
}

class Money {
  readonly #cents: number;
  constructor(cents: number) {
    this.#cents = cents;
  }
  get cents(): number {
    return this.#cents;
  }
  plus(other: Money): Money {
    return new Money(this.#cents + other.#cents);
  }
}
registerClass(Money, { args: (money: Money) => [money.cents] });
const wallet = new Money(120);

class Loader {
  base = 10;
  /** An async arrow in a method: tsc for ES2015/ES2016 passes `this` to `__awaiter`. */
  task() {
    const base = this.base;
    return closure(
      async (x: number) => {
        await Promise.resolve();
        return x + base;
      },
      { base },
    );
  }
}

function* evens(n: number) {
  for (let i = 0; i < n; i++) yield i * 2;
}

async function* countdown(n: number) {
  for (let i = n; i > 0; i--) {
    await Promise.resolve();
    yield i;
  }
}

// its `y` shadows the module's: bundlers rename it, and the message must still say `y`
const forgetful = (y: number) => () => y + 1;

const tag = (strings: TemplateStringsArray, ...values: unknown[]) =>
  `${strings.raw.join('|')}:${values.join(',')}`;

const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));

const settings = {
  factor: 4,
  get doubled() {
    return this.factor * 2;
  },
};

const tools = {
  scale(a: number, b: number) {
    return a * b;
  },
};

const { scale } = tools;
const nameless = [(a: number, b: number, c: number) => a + b + c][0]!;

const account = {
  balance: 100,
  deposit(amount: number) {
    return this.balance + amount;
  },
};

function add(a: number, b: number) {
  return a + b;
}

const join = Array.prototype.join;
const hasOwn = Object.prototype.hasOwnProperty;

export const cases: Case[] = [
  { feature: 'arrow function', run: (call) => call((x: number) => x * y, [2], capture({ y })) },
  { feature: 'factory closure', run: (call) => call(powerFactory(2), [5]) },
  {
    feature: 'async arrow',
    run: (call) =>
      call(
        async (x: number) => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          return x * y;
        },
        [2],
        capture({ y }),
      ),
  },
  {
    feature: 'async function',
    run: (call) =>
      call(
        async function scaled(x: number) {
          const value = await Promise.resolve(x);
          return value * y;
        },
        [3],
        capture({ y }),
      ),
  },
  {
    feature: 'async arrow written in a method',
    run: (call) => call(new Loader().task(), [1]),
  },
  {
    feature: 'generator',
    run: (call) => call((n: number) => [...evens(n)], [4], capture({ evens })),
  },
  {
    feature: 'async generator',
    run: (call) =>
      call(
        async (n: number) => {
          const seen: number[] = [];
          for await (const i of countdown(n)) seen.push(i);
          return seen;
        },
        [3],
        capture({ countdown }),
      ),
  },
  {
    feature: 'class with fields and statics',
    run: (call) =>
      call(
        (n: number) => {
          const c = new Counter();
          c.add(n);
          return [c.add(y), Counter.made > 0];
        },
        [2],
        capture({ Counter, y }),
      ),
  },
  {
    feature: 'class with private fields and methods',
    run: (call) => call((n: number) => new Secret(n).doubled, [21], capture({ Secret })),
  },
  {
    feature: 'class with accessors',
    run: (call) =>
      call(
        (f: number) => {
          const t = new Temperature();
          t.fahrenheit = f;
          return t.fahrenheit;
        },
        [212],
        capture({ Temperature }),
      ),
  },
  {
    feature: 'class with a static block',
    run: (call) => call(() => Registry.entries, [], capture({ Registry, y })),
  },
  {
    feature: 'class extending a captured class, with super',
    run: (call) =>
      call(
        (name: string) => [new Dog(name).speak(), new Dog(name) instanceof Animal],
        ['Rex'],
        capture({ Dog, Animal }),
      ),
  },
  {
    feature: 'class with computed and symbol keys',
    run: (call) =>
      call(
        (who: string) => {
          const g = new Greeter();
          return [g.greet(who), [...g]];
        },
        ['ada'],
        capture({ Greeter, methodKey }),
      ),
  },
  {
    feature: 'instance with private state (registerClass args)',
    run: (call) =>
      call((cents: number) => wallet.plus(new Money(cents)).cents, [5], capture({ wallet, Money })),
  },
  {
    feature: 'bound function',
    run: (call) => call(add.bind(null, 1), [2]),
    refused: /bound function/,
  },
  {
    feature: 'default and destructured parameters',
    run: (call) =>
      call(
        ({ a, b = 2 }: { a: number; b?: number }, [c] = [3], d = a + y) => [a, b, c, d],
        [{ a: 1 }],
        capture({ y }),
      ),
  },
  {
    feature: 'rest and spread',
    run: (call) =>
      call(
        (...xs: number[]) => {
          const { length, ...rest } = { length: xs.length, max: Math.max(...xs, y) };
          return { ...rest, length, all: [...xs, y] };
        },
        [1, 5, 2],
        capture({ y }),
      ),
  },
  {
    feature: 'optional chaining and nullish coalescing',
    run: (call) =>
      call(
        (o: { a?: { b?: number } } | null) => [o?.a?.b ?? y, o?.a?.b?.toFixed(1)],
        [{ a: { b: 2 } }],
        capture({ y }),
      ),
  },
  {
    feature: 'tagged template',
    run: (call) => call((x: number) => tag`a${x}b${y}c`, [1], capture({ tag, y })),
  },
  {
    feature: 'regex literals',
    run: (call) =>
      call(
        (s: string) => {
          const m = /(?<year>\d{4})-(?<month>\d\d)/u.exec(s);
          return [m?.groups?.year, m?.groups?.month, s.replace(/o/g, '0')];
        },
        ['foo 2024-05'],
      ),
  },
  {
    feature: '`arguments`',
    run: (call) =>
      call(
        function count() {
          // biome-ignore lint/complexity/noArguments: the feature under test
          return arguments.length + y;
        },
        [1, 2],
        capture({ y }),
      ),
  },
  {
    feature: 'getter on a captured object',
    run: (call) => call(() => settings.doubled, [], capture({ settings })),
  },
  {
    feature: 'recursion through a captured name',
    run: (call) => call(factorial, [5], capture({ factorial })),
  },
  {
    feature: 'an imported function',
    run: (call) => call((x: number) => triple(x) + 1, [2], capture({ triple })),
  },
  {
    feature: 'feature test of a missing global',
    run: (call) =>
      call(
        () =>
          // @ts-expect-error: a browser global, absent in Node
          typeof window === 'undefined' ? 'node' : 'browser',
        [],
      ),
  },
  {
    feature: 'captured native methods',
    run: (call) =>
      call(
        (xs: string[]) => [join.call(xs, '-'), hasOwn.call({ a: 1 }, 'a')],
        [['a', 'b']],
        capture({ join, hasOwn }),
      ),
  },
  {
    feature: 'fn.name and fn.length',
    run: (call) =>
      call(
        () => [scale.name, scale.length, nameless.name, nameless.length],
        [],
        capture({ scale, nameless }),
      ),
  },
  {
    feature: 'method taken off its object, using `this`',
    run: (call) => call(account.deposit, [5]),
    refused: /this/,
  },
  {
    feature: 'CommonJS `require` inside the function',
    run: (call) =>
      call(
        // `require` is CommonJS's, as a user of a .cjs file writes it
        (p: string) => require('node:path').basename(p),
        ['/a/b.txt'],
      ),
    refused: /moduleRef/,
  },
  {
    feature: "a forgotten capture, named in the user's words",
    run: (call) => call(forgetful(4), []),
    refused: /\by\b/,
  },
];
