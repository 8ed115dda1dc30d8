// registerClass's options, and which classes have #private state a copy cannot carry.
import { describe, expect, it } from 'vitest';
import { hasPrivateState, registerClass, registeredClasses } from './classes.js';
import { CaptureError, ErrorCode } from './errors.js';

describe('hasPrivateState', () => {
  class WithField {
    #x = 1;
    get x() {
      return this.#x;
    }
  }
  class WithMethod {
    #m() {
      return 1;
    }
    m() {
      return this.#m();
    }
  }
  class StaticOnly {
    static #count = 0;
    static count() {
      return StaticOnly.#count;
    }
  }
  class Public {
    label = '#not-private';
  }
  class Inherits extends WithField {}
  class Grandchild extends Inherits {}
  function Plain(this: { label: string }) {
    this.label = '#x';
  }
  class ExtendsPlain extends (Plain as unknown as new () => object) {}

  it.each([
    ['a #private field', WithField, true],
    ['a #private method', WithMethod, true],
    ['only static #private members (not on instances)', StaticOnly, false],
    ['a # in a string only', Public, false],
    ['a class extending one with a #private field', Inherits, true],
    ['two levels down', Grandchild, true],
    ['a plain function with # in its source', Plain, false],
    ['a class extending a plain function', ExtendsPlain, false],
    ['a built-in', Map, false],
  ])('%s: %s', (_, ctor, has) => {
    expect(hasPrivateState(ctor as Function)).toBe(has);
    // asked again: the same answer (remembered)
    expect(hasPrivateState(ctor as Function)).toBe(has);
  });
});

describe('registerClass', () => {
  it('args must be a function, and the refusal says so', () => {
    class Money {}
    try {
      registerClass(Money, { args: [1, 2] as never });
      expect.unreachable('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(CaptureError);
      expect((error as CaptureError).code).toBe(ErrorCode.CAPTURE_INVALID);
      expect((error as CaptureError).path).toBe('registerClass');
      expect((error as Error).message).toBe(
        "registerClass(Money, { args }) expects args to be a function of an instance that returns its constructor's arguments, like (p) => [p.x, p.y].",
      );
    }
    expect(registeredClasses.has(Money)).toBe(false);
  });

  it('the identifier defaults to the class name', () => {
    class Coin {}
    class Note {}
    registerClass(Coin);
    registerClass(Note, { identifier: 'Banknote' });
    expect(registeredClasses.get(Coin)?.identifier).toBe('Coin');
    expect(registeredClasses.get(Note)?.identifier).toBe('Banknote');
  });
});
