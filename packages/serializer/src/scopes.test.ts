// Issue 20: what V8 says a closure closes over, through the inspector. Shadowed globals are
// refused with the fix; `capture.auto` captures what the function closes over, with every check.
import { webcrypto } from 'node:crypto';
import * as fsPromises from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { capture, closure } from './capture.js';
import { deserializeClosure } from './decode.js';
import { serializeClosure } from './encode.js';
import { bindingsOf, scopesAvailable, setScopeChecks } from './scopes.js';
import { refusalMessage as message, roundTrip } from './test-helpers.js';

afterEach(() => setScopeChecks(true));

describe('scope-checked capture', () => {
  it('reads the bindings around a function, innermost first', () => {
    expect(scopesAvailable()).toBe(true);
    const y = 1;
    const make = (y: number) => () => y;
    const bindings = bindingsOf(make(7), ['y']);
    expect(bindings?.get('y')?.value).toBe(7);
    expect(bindings?.get('y')?.scope).toMatch(/Closure/);
    expect(y).toBe(1);
  });

  it('refuses a name that shadows a worker global, naming what it is and the moduleRef to use', () => {
    // `setTimeout` here is the promise one; vitest renamed the import, which also says so
    const setTimeout = sleep;
    expect(message(() => serializeClosure(() => setTimeout(1)))).toMatch(
      /uses setTimeout, which here is not the global setTimeout: it is an import from node:timers\/promises.*Fix: capture\(\{ setTimeout: moduleRef\('node:timers\/promises', 'setTimeout'\) \}\)/,
    );
    const crypto = webcrypto;
    expect(message(() => serializeClosure(() => crypto.randomUUID()))).toMatch(
      /uses crypto, which here is not the global/,
    );
    const console = { log: (s: string) => s };
    expect(message(() => serializeClosure((s: string) => console.log(s)))).toMatch(
      /uses console, which here is not the global console: it is bound in its closure scope to an object.*Fix: capture\(\{ console \}\)/,
    );
  });

  it('the same function passes once captured, and a true global passes as before', async () => {
    const console = { log: (s: string) => `logged ${s}` };
    expect((await roundTrip((s: string) => console.log(s), { console }))('x')).toBe('logged x');
    expect((await roundTrip((x: number) => Math.sqrt(x)))(9)).toBe(3);
  });

  it('a feature test of a name bound here is a capture: typeof would differ in the worker', () => {
    const window = { document: {} };
    expect(message(() => serializeClosure(() => typeof window))).toMatch(
      /uses window \(here an object\)/,
    );
    expect(window.document).toEqual({});
  });

  it('a missing capture says what the name is bound to here', () => {
    const rate = 0.25;
    expect(message(() => serializeClosure((x: number) => x * rate))).toMatch(
      /uses rate \(here 0\.25 \(number\)\).*Fix: capture\(\{ rate \}\)/,
    );
  });

  it('with scope checks off, the source alone is checked (the shadowed global passes)', () => {
    setScopeChecks(false);
    const console = { log: (s: string) => s };
    expect(() => serializeClosure((s: string) => console.log(s))).not.toThrow();
  });
});

describe('capture.auto', () => {
  it('captures values, follows functions with their own scopes, and imports builtins by moduleRef', async () => {
    const rate = 3;
    const scale = (x: number) => x * rate;
    const offset = 10;
    const fn = async (x: number) => {
      await sleep(1);
      return [scale(x) + offset, typeof fsPromises.readFile];
    };
    const rebuilt = (await roundTrip(fn, capture.auto)) as typeof fn;
    expect(await rebuilt(2)).toEqual([16, 'function']);
    const payload = JSON.stringify(serializeClosure(fn, capture.auto));
    expect(payload).toContain('node:timers/promises');
    expect(payload).toContain('node:fs/promises');
  });

  it('applies every check of an explicit capture', () => {
    const socket = new (class Socket {})();
    expect(message(() => serializeClosure(() => socket, capture.auto))).toMatch(
      /capture\.socket cannot travel.*instance of Socket/,
    );
    // a free name bound nowhere is still missing
    expect(
      message(() => serializeClosure(() => (globalThis as any).x + nowhere, capture.auto)),
    ).toMatch(/uses nowhere/);
  });

  it('works through closure(), and explicit entries win', async () => {
    const y = 2;
    const power = closure((x: number) => x ** y, capture.auto);
    expect((await roundTrip(power))(3)).toBe(9);
    const wire = JSON.parse(JSON.stringify(serializeClosure((x: number) => x ** y, { y: 3 })));
    expect((await deserializeClosure(wire))(2)).toBe(8);
  });

  it('without the inspector it is refused with the fix', () => {
    setScopeChecks(false);
    const y = 2;
    expect(message(() => serializeClosure((x: number) => x * y, capture.auto))).toMatch(
      /capture\.auto reads what a function closes over through the inspector.*Fix: list the variables/,
    );
  });
});

declare const nowhere: number;

// Cases from the survivors of the serializer's mutation run: values the inspector cannot give as
// JSON, the innermost of two bindings, scope chains longer than nine, the cache by function literal.
describe('reading bindings through the inspector', () => {
  it('values JSON cannot hold arrive as themselves', () => {
    const make = () => {
      const big = 10n;
      const negative = -0;
      const nan = Number.NaN;
      const low = Number.NEGATIVE_INFINITY;
      const nothing = undefined;
      const empty = null;
      return () => [big, negative, nan, low, nothing, empty];
    };
    const names = ['big', 'negative', 'nan', 'low', 'nothing', 'empty'];
    const bindings = bindingsOf(make(), names)!;
    const values = names.map((n) => bindings.get(n)?.value);
    expect(values[0]).toBe(10n);
    expect(Object.is(values[1], -0)).toBe(true);
    expect(values[2]).toBeNaN();
    expect(values[3]).toBe(Number.NEGATIVE_INFINITY);
    expect(values.slice(4)).toEqual([undefined, null]);
    expect(bindings.has('nothing')).toBe(true);
  });

  it('of two bindings of one name, the innermost', () => {
    const y = 'outer';
    const readOuter = () => y;
    const make = (y: string) => () => y;
    expect(bindingsOf(make('inner'), ['y'])?.get('y')?.value).toBe('inner');
    expect(readOuter()).toBe('outer');
  });

  it('a binding ten and more scopes out', () => {
    const far = 'far';
    // twelve nested closures, each holding a name of its own, the innermost reading all of them
    const innermost = new Function(
      'far',
      `${Array.from({ length: 12 }, (_, i) => `const v${i} = ${i}; return (() => {`).join(' ')}
        return () => [far, ${Array.from({ length: 12 }, (_, i) => `v${i}`).join(', ')}];
      ${'})();'.repeat(12)}`,
    )(far) as Function;
    expect(innermost()[0]).toBe('far');
    expect(bindingsOf(innermost, ['far'])?.get('far')?.value).toBe('far');
  });

  it('a scope of a function whose name says Global is not the global scope', () => {
    function makeGlobalish() {
      const k = 'bound';
      return () => k;
    }
    expect(bindingsOf(makeGlobalish(), ['k'])?.get('k')?.value).toBe('bound');
  });

  it('a `let` that changed since the last read is read again', () => {
    let k = 1;
    const read = () => k;
    expect(bindingsOf(read, ['k'])?.get('k')?.value).toBe(1);
    k = 2;
    expect(bindingsOf(read, ['k'])?.get('k')?.value).toBe(2);
  });

  it("the prototype of the scope list is not a scope: an array method's name is not bound", () => {
    expect(bindingsOf(() => 1, ['map', 'push', 'length'])?.size).toBe(0);
  });

  it('closures of one literal share what it binds; another literal is read on its own', () => {
    const make = (a: number) => () => a;
    const other = (b: number) => () => b;
    // the first read of each literal learns what it binds
    expect(bindingsOf(make(1), ['zz'])?.size).toBe(0);
    // a second closure of it, asked for a bound name and an unbound one
    expect(bindingsOf(make(2), ['a', 'zz'])?.get('a')?.value).toBe(2);
    // a closure of another literal, asked for its name only
    expect(bindingsOf(other(3), ['b'])?.get('b')?.value).toBe(3);
  });
});
