// The missing-capture message when a compiler's helper package is not installed: helpers.ts
// replaced, so the case does not depend on what this machine has.
import { describe, expect, it, vi } from 'vitest';
import { missingError } from './missing.js';

vi.mock('./helpers.js', () => ({
  missingHelperPackages: () => ['@babel/runtime', '@swc/helpers'],
}));

const line = (name: string) =>
  missingError([
    {
      path: 'fn',
      names: [name],
      own: false,
      unusedKeys: [],
      helpers: [],
      name: '',
      compact: false,
      found: {},
    },
  ])
    .message.split('\n')[1]!
    .trim();

describe('a helper whose package is missing', () => {
  it.each(['_classCallCheck', '_class_call_check', '_to_consumable_array', '_a', '_a1b_c2'])(
    '%s: install the package, or capture it',
    (name) => {
      expect(line(name)).toBe(
        `fn uses ${name}, which a worker thread does not have (if it is a helper your compiler wrote into the file, the worker supplies it from @babel/runtime or @swc/helpers, which is not installed here). Fix: npm install @babel/runtime @swc/helpers, or capture it; or capture({ ${name} })`,
      );
    },
  );

  it.each(['_Foo', '_a_B', '_a_', 'a_b', '_a-b', '_1a'])('%s is no helper', (name) => {
    expect(line(name)).not.toMatch(/helper your compiler wrote/);
  });
});
