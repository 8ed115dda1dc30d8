// The missing-capture message, name by name (issue 21: its rules were exercised only through the
// toolchain matrix, in another package; a mutation run of this file found most of them unpinned).
import { beforeEach, describe, expect, it } from 'vitest';
import type { Missing } from './missing.js';
import { freshImport } from './test-helpers.js';

// its patterns and tables are built when it loads: loaded for each test, so that each test builds them
let missing: typeof import('./missing.js');
beforeEach(async () => {
  missing = await freshImport('./missing.js');
});

const base: Missing = {
  path: 'fn',
  names: [],
  own: false,
  unusedKeys: [],
  helpers: [],
  name: '',
  compact: false,
  found: {},
};
const message = (m: Partial<Missing>) => missing.missingError([{ ...base, ...m }]).message;

describe('what each kind of missing name is called, and its fix', () => {
  it.each([
    ['y', 'fn uses y, which a worker thread does not have. Fix: capture({ y })'],
    [
      'require',
      "fn uses require, which a worker thread does not have (`require` is CommonJS's own, one per module file; a worker thread runs the function outside any module). Fix: capture the module instead of requiring it: capture({ path: moduleRef('node:path') }), then use `path` inside",
    ],
    [
      '__dirname',
      "fn uses __dirname, which a worker thread does not have (`__dirname` is CommonJS's own, one per module file; a worker thread runs the function outside any module). Fix: capture the path itself: capture({ __dirname })",
    ],
    [
      '_this',
      'fn uses _this (`this`, as babel or SWC renames it), which a worker thread does not have (an arrow function reads `this` from where it was written, which the worker does not have). Fix: capture what it needs from `this` as a variable: const { base } = this; capture({ base })',
    ],
    [
      '__vite_ssr_import_3__',
      'fn uses __vite_ssr_import_3__, which a worker thread does not have (a __vite_ssr_import_N__ name is how vitest renames an import). Fix: capture the imported name itself, or use moduleRef()',
    ],
    ['_ref2', /fn uses _ref2, .*moved part of the function out of it.*Fix: compile for a target/],
    ['_marked', /moved part of the function out of it/],
    ['_templateObject3', /moved part of the function out of it/],
    ['y2', /fn uses y2 \(probably your `y`, renamed by a bundler\).*Fix: capture\(\{ y \}\)$/],
  ])('%s', (name, expected) => {
    const text = message({ names: [name] });
    if (typeof expected === 'string') expect(text.split('\n')[1]!.trim()).toBe(expected);
    else expect(text).toMatch(expected);
  });

  it('names that are not a tool’s stay as written', () => {
    for (const name of ['ref', '_refx', 'x_ref', 'y2x', '_', 'a_b', 'Secret_value', '__2'])
      expect(message({ names: [name] })).not.toMatch(/moved part|renamed by a bundler|#private/);
    expect(missing.renamedFrom('y2')).toBe('y');
    expect(missing.renamedFrom('count10')).toBe('count');
    expect(missing.renamedFrom('a_2')).toBeUndefined();
    expect(missing.renamedFrom('2')).toBeUndefined();
    expect(missing.renamedFrom('y')).toBeUndefined();
  });

  it("a compiler's #private storage, by its helpers or tsc's names", () => {
    expect(message({ names: ['_Secret_value'], helpers: ['__classPrivateFieldGet'] })).toMatch(
      /fn uses _Secret_value, .*#private members.*Fix: compile for ES2022 or later/,
    );
    expect(message({ names: ['_value', '__privateGet'] })).toMatch(/#private members/);
    expect(message({ names: ['_Secret_value'] })).not.toMatch(/#private/); // no helper: a name
  });

  it("a babel async function's moved body `_f` for a function `f`", () => {
    expect(message({ names: ['_scaled'], name: 'scaled' })).toMatch(/moved part of the function/);
    expect(message({ names: ['_scaled'], name: 'other' })).not.toMatch(/moved part/);
  });

  it('minified names: sure when capture keys go unused, a hint when the source is compact', () => {
    expect(message({ names: ['u', 'e'], unusedKeys: ['y'] })).toMatch(
      /fn uses u, e, which look minified: the bundler renamed the variables your capture names \(y\)/,
    );
    expect(message({ names: ['u'], compact: true })).toMatch(/may be the minifier's names/);
    expect(message({ names: ['u'] })).not.toMatch(/minifi/);
    expect(message({ names: ['count'], unusedKeys: ['y'] })).not.toMatch(/minifi/);
  });

  it('what a name is bound to where the function was written', () => {
    expect(message({ names: ['rate'], found: { rate: 0.25 } })).toMatch(
      /fn uses rate \(here 0\.25 \(number\)\), which/,
    );
    expect(message({ names: ['y2'], found: { y2: 4 } })).toMatch(
      /y2 \(probably your `y`, renamed by a bundler; here 4 \(number\)\)/,
    );
  });

  it('the fix names where the capture goes: the call, closure(), or either', () => {
    expect(message({ names: ['k'] })).toMatch(/Fix: capture\(\{ k \}\)$/);
    expect(message({ path: 'capture.inner', names: ['k'], own: true })).toMatch(
      /Fix: closure\(inner, \{ …, k \}\)$/,
    );
    expect(message({ path: 'capture.inner', names: ['k'] })).toMatch(
      /Fix: capture\(\{ …, k \}\) or closure\(inner, \{ k \}\)$/,
    );
  });

  it('long lists are cut, every name is in `missing`, and three functions at most are shown', () => {
    const names = Array.from({ length: 10 }, (_, i) => `name${String.fromCharCode(97 + i)}`);
    const error = missing.missingError([
      { ...base, names },
      { ...base, path: 'capture.b', names: ['b1x'] },
      { ...base, path: 'capture.c', names: ['c1x'] },
      { ...base, path: 'capture.d', names: ['d1x'] },
    ]);
    expect(error.message).toMatch(/namea, .*nameh, …, which/);
    expect(error.message).not.toMatch(/namei/);
    expect(error.message).toMatch(/\(and 1 more functions: see error\.missing\)/);
    expect(error.missing).toEqual([...names, 'b1x', 'c1x', 'd1x']);
    expect(error.path).toBe('fn');
  });
});

describe('the patterns, at their edges', () => {
  const hint = (name: string, m: Partial<Missing> = {}) => message({ names: [name], ...m });

  it.each(['require', 'module', 'exports', '__dirname', '__filename', '__require'])(
    "CommonJS's %s",
    (name) => {
      const text = hint(name);
      expect(text).toContain(`(\`${name}\` is CommonJS's own, one per module file;`);
      expect(text).toMatch(
        name === '__dirname' || name === '__filename'
          ? new RegExp(`Fix: capture the path itself: capture\\(\\{ ${name} \\}\\)$`)
          : /Fix: capture the module instead of requiring it/,
      );
    },
  );

  it("babel's second `_this`", () => {
    expect(hint('_this2')).toMatch(/^ {2}fn uses _this2 \(`this`, as babel or SWC renames it\)/m);
    expect(hint('_this3')).not.toMatch(/as babel or SWC renames it/);
  });

  it.each([
    ['__vi_import_0__', true],
    ['__vite_ssr_import_12__', true],
    ['__vite_ssr_import_a__', false],
    ['__vite_ssr_import___', false],
    ['x__vite_ssr_import_1__', false],
    ['__vite_ssr_import_1__x', false],
    ['__vite_import_1__', false],
  ])('vitest import %s: %s', (name, renamed) => {
    expect(/how vitest renames an import/.test(hint(name))).toBe(renamed);
  });

  it.each([
    ['_ref', true],
    ['_ref12', true],
    ['_marked', true],
    ['_excluded2', true],
    ['_templateObject', true],
    ['_callee3', true],
    ['_x', true],
    ['_x4', true],
    ['_asyncIterator', true],
    ['a_ref', false],
    ['_refs', false],
    ['_callees', false],
    ['_xy', false],
  ])('a lowered function part %s: %s', (name, moved) => {
    expect(/moved part of the function out of it/.test(hint(name))).toBe(moved);
  });

  it('#private storage is a name starting with `_` beside private helpers, and nothing else', () => {
    const withHelpers = { helpers: ['__classPrivateFieldGet'] };
    expect(hint('_Secret_value', withHelpers)).toMatch(/#private members/);
    expect(hint('_v', withHelpers)).toMatch(/#private members/);
    expect(hint('a_b', withHelpers)).not.toMatch(/#private/);
    expect(hint('value', withHelpers)).not.toMatch(/#private/);
    expect(hint('_value', { helpers: ['_classPrivateFieldLooseBase'] })).toMatch(/#private/);
    expect(hint('_value', { helpers: ['__name'] })).not.toMatch(/#private/);
  });

  it("a helper's name, with every helper package installed, is a name to capture", () => {
    expect(hint('_classCallCheck').split('\n')[1]!.trim()).toBe(
      'fn uses _classCallCheck, which a worker thread does not have. Fix: capture({ _classCallCheck })',
    );
  });

  it('a bundler rename needs an identifier before the digits', () => {
    expect(missing.renamedFrom('éa2')).toBeUndefined();
    expect(missing.renamedFrom('$2')).toBe('$');
    expect(missing.renamedFrom('_y12')).toBe('_y');
  });

  it('minified: every name one or two characters, and unused capture keys', () => {
    expect(hint('ab', { unusedKeys: ['y'] })).toBe(
      'Free variables are not captured, so the function would fail in the worker with a ReferenceError:\n' +
        '  fn uses ab, which look minified: the bundler renamed the variables your capture names (y), so they cannot be matched. ' +
        'Fix: keep identifiers in code that uses closure-pool (esbuild: --minify-whitespace --minify-syntax instead of --minify; terser: mangle: false)',
    );
    expect(message({ names: ['a', 'count'], unusedKeys: ['y'] })).not.toMatch(/look minified/);
    expect(message({ names: ['a$', '_b'], unusedKeys: ['y'] })).toMatch(/look minified/);
    expect(message({ names: ['a-'], unusedKeys: ['y'] })).not.toMatch(/look minified/);
  });

  it('eight names are listed whole; the ninth is cut, in the names and in the fix', () => {
    const names = (n: number) =>
      Array.from({ length: n }, (_, i) => `name${String.fromCharCode(97 + i)}`);
    const eight = message({ names: names(8) });
    expect(eight).toContain(
      'fn uses namea, nameb, namec, named, namee, namef, nameg, nameh, which',
    );
    expect(eight).toContain(
      'Fix: capture({ namea, nameb, namec, named, namee, namef, nameg, nameh })',
    );
    const nine = message({ names: names(9) });
    expect(nine).toContain('nameg, nameh, …, which');
    expect(nine).toContain(
      'Fix: capture({ namea, nameb, namec, named, namee, namef, nameg, nameh, … })',
    );
  });

  it('hints are joined, each once, in parentheses; fixes by "; or "', () => {
    expect(
      message({ names: ['require', 'module', 'y'] })
        .split('\n')[1]!
        .trim(),
    ).toBe(
      "fn uses require, module, y, which a worker thread does not have (`require` is CommonJS's own, one per module file; a worker thread runs the function outside any module; " +
        "`module` is CommonJS's own, one per module file; a worker thread runs the function outside any module). " +
        "Fix: capture the module instead of requiring it: capture({ path: moduleRef('node:path') }), then use `path` inside; or capture({ y })",
    );
  });

  it('three functions are shown; a fourth only counted', () => {
    const three = missing.missingError(
      ['a', 'b', 'c'].map((x) => ({ ...base, path: `capture.${x}`, names: [`${x}1x`] })),
    );
    expect(three.message.split('\n')).toHaveLength(4);
    expect(three.message).not.toMatch(/more functions/);
  });
});
