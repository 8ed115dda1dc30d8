import { describe, expect, it } from 'vitest';
import { attachedCapture, Capture, capture, closure, ModuleRef, moduleRef } from './capture.js';
import { CaptureError } from './errors.js';

describe('capture', () => {
  it('copies and freezes the environment, so later additions to the object do not leak in', () => {
    const env: Record<string, unknown> = { y: 2 };
    const c = capture(env);
    env.z = 3;
    expect(c).toBeInstanceOf(Capture);
    expect(c.env).toEqual({ y: 2 });
    expect(Object.isFrozen(c.env)).toBe(true);
  });

  it.each([null, 42, 'y', [1, 2]])('refuses %j with a message showing the right form', (bad) => {
    expect(() => capture(bad as any)).toThrow(
      /capture\(\) expects an object literal.*capture\(\{ y, helper \}\)/,
    );
  });
});

describe('closure', () => {
  it('returns the very same function, still callable here, with its environment attached', () => {
    const f = (x: number) => x + 1;
    const same = closure(f, { y: 1 });
    expect(same).toBe(f);
    expect(same(1)).toBe(2);
    expect(attachedCapture(f)?.env).toEqual({ y: 1 });
  });

  it('refuses a non-function', () => {
    expect(() => closure(3 as any, {})).toThrow(CaptureError);
  });
});

describe('moduleRef', () => {
  it('keeps builtins as node: specifiers', () => {
    expect(moduleRef<ModuleRef>('node:path').url).toBe('node:path');
    expect(moduleRef('fs', 'readFileSync')).toMatchObject({
      url: 'node:fs',
      exportName: 'readFileSync',
    });
  });

  it("resolves a bare package from the caller's file to an absolute file URL", () => {
    const ref = moduleRef<ModuleRef>('acorn');
    expect(ref).toBeInstanceOf(ModuleRef);
    expect(ref.specifier).toBe('acorn');
    expect(ref.url).toMatch(/^file:\/\/.*acorn.*\.(m?js)$/);
  });

  it('resolves a relative specifier against the calling file', () => {
    expect(moduleRef<ModuleRef>('./errors.ts').url).toBe(
      new URL('./errors.ts', import.meta.url).href,
    );
  });

  it('names the specifier and the fix when it cannot be resolved', () => {
    expect(() => moduleRef('no-such-package-xyz')).toThrow(
      /moduleRef\('no-such-package-xyz'\) cannot be resolved.*Install the package/,
    );
  });
});
