// The analysis rule by rule, on sources as compilers and users write them: whose `this` a function
// reads, how free names are read (under `typeof`, as `name.prop`), vitest's import bindings, and
// each refusal with its reason. Cases from the survivors of the serializer's mutation run.
import { describe, expect, it } from 'vitest';
import { analyzeSource, readMembersAsNames } from './analyze.js';
import { CaptureError, ErrorCode } from './errors.js';

const analysis = (source: string) => analyzeSource(source, 'fn');

/** The message of the CaptureError analyzing `source` throws. */
function refusal(source: string): string {
  try {
    analysis(source);
  } catch (error) {
    expect(error).toBeInstanceOf(CaptureError);
    return (error as Error).message;
  }
  return expect.unreachable('accepted');
}

describe('whose `this`: the function’s own, or a function or class inside it', () => {
  it.each([
    ['reads its own', 'function () { return this.x; }', true],
    ['an arrow inside reads the function’s', 'function () { return () => this; }', true],
    [
      'a function inside has its own',
      'function () { return function () { return this; }; }',
      false,
    ],
    [
      'a field of a class declared inside has the instance',
      'function () { class A { x = this; } return A; }',
      false,
    ],
    [
      'a method of a class expression inside has its own',
      'function () { return class { m() { return this; } }; }',
      false,
    ],
    [
      "tsc's lowered async body reading `this`",
      'function () { return __awaiter(this, void 0, void 0, function* () { return this.x; }); }',
      true,
    ],
    [
      "tsc's lowered async body not reading it",
      'function () { return __awaiter(this, void 0, void 0, function* () { return 1; }); }',
      false,
    ],
    [
      "esbuild's lowered async body reading `this`",
      'function () { return __async(this, null, function* () { return this; }); }',
      true,
    ],
    [
      'a function passed to the helper that is not its last argument',
      'function () { return __awaiter(this, void 0, function () { return this; }, function* () { return 1; }); }',
      false,
    ],
    [
      '`this` passed to the helper in another place than the first',
      'function () { return __awaiter(null, this, void 0, function* () { return 1; }); }',
      true,
    ],
    [
      'a helper called as a method is no helper',
      'function () { return lib.__awaiter(this, void 0, void 0, function* () { return 1; }); }',
      true,
    ],
    [
      "babel's forwarding to its lowered body",
      'function () { return _ref.apply(this, arguments); }',
      false,
    ],
    ['forwarding with call', 'function () { return _ref.call(this, arguments); }', true],
    ['forwarding other arguments', 'function () { return _ref.apply(this, args); }', true],
    ['forwarding `this` second', 'function () { return _ref.apply(null, this); }', true],
    ['apply with `this` alone', 'function () { return _ref.apply(this); }', true],
    ['a computed apply', "function () { return _ref['apply'](this, arguments); }", true],
    ['a plain call', 'function () { return _ref(this, arguments); }', true],
    ['a method reading it', 'm() { return this.v; }', true],
    ['an arrow', '() => 1', false],
  ])('%s', (_, source, reads) => {
    expect(analysis(source).usesOwnThis).toBe(reads);
  });

  it('a lowered async arrow passes `this` along without reading it: accepted', () => {
    expect(
      analysis('() => __awaiter(this, void 0, void 0, function* () { return 1; })').free,
    ).toEqual(['__awaiter']);
  });

  it('`super` in a class declared inside an arrow is the class’s', () => {
    expect(
      analysis('() => { class A extends Object { m() { return super.toString(); } } return A; }')
        .free,
    ).toEqual(['Object']);
  });
});

describe('how free names are read', () => {
  it.each([
    ['a feature test', '() => typeof window', ['window']],
    ['another unary operator is a read', '() => !flag', []],
    ['a typeof of a local of the same name does not count', '() => [y, ((y) => typeof y)(1)]', []],
    ['read both ways', '() => typeof x === "u" ? 0 : x', []],
  ])('typeof only: %s', (_, source, names) => {
    expect(analysis(source).typeofOnly).toEqual(names);
  });

  it.each([
    ['a CommonJS import binding', '(x) => helper_1.triple(x)', ['helper_1']],
    ['a computed read is not a member read', '() => obj[key]', []],
    ['an assignment is not a read', '() => { exports_1.x = 1; }', []],
    ['read whole too', '() => [helper_1.a, helper_1]', []],
  ])('member only: %s', (_, source, names) => {
    expect([...analysis(source).memberOnly.keys()]).toEqual(names);
  });

  it('member reads as names: each list of names read its own way', () => {
    const read = analysis('() => [a.x, b.y, ab.z]');
    const both = readMembersAsNames(read, ['a', 'b']);
    const one = readMembersAsNames(read, ['ab']);
    expect(both.expression).toBe('(() => [x, y, ab.z])');
    expect(one.expression).toBe('(() => [a.x, b.y, z])');
    // remembered per analysis and list
    expect(readMembersAsNames(read, ['a', 'b'])).toBe(both);
  });
});

describe("vitest's import bindings", () => {
  it('are read as the names the user wrote, and remembered as imports', () => {
    const result = analysis('(o) => __vi_import_0__.helper(o.prop) + __vite_ssr_import_1__.other');
    expect([...result.free].sort()).toEqual(['helper', 'other']);
    expect(result.imported).toEqual({ helper: '__vi_import_0__', other: '__vite_ssr_import_1__' });
    expect(result.expression).toBe('((o) => helper(o.prop) + other)');
  });

  it('a default import and a computed read stay as they are', () => {
    const result = analysis("() => __vi_import_0__.default(1) + __vi_import_0__['x']");
    expect(result.free).toEqual(['__vi_import_0__']);
    expect(result.imported).toEqual({});
  });
});

describe('refusals, each with its reason', () => {
  it.each([
    [
      '() => arguments[0]',
      'uses `arguments` outside any function of its own',
      'arrow functions share `arguments`',
    ],
    ['() => this.x', 'uses `this` from the code around it', 'which the worker does not have'],
    [
      'm() { return super.m(); }',
      'uses `super`',
      'a method taken off its class loses the class it would call',
    ],
    ['(s) => eval(s)', 'uses direct `eval`', 'its environment cannot be known'],
    ['(x) => x <!--y', 'uses `<!--` or `-->`', 'write `< !--x` or `x-- >` with spaces'],
  ])('%s', (source, what, why) => {
    const message = refusal(source);
    expect(message).toContain(`fn ${what}, which cannot travel to a worker`);
    expect(message).toContain(why);
    expect(message).toContain('capture it as a variable: capture({ name })');
  });

  it.each([
    ['a function', 'function (o) { with (o) { return x; } }'],
    ['a method', 'm(o) { with (o) { return x; } }'],
    ['text after the function', 'function a() {}); with (o) { x; } (0'],
  ])('a `with` statement, in %s', (_, source) => {
    const message = refusal(source);
    expect(message).toContain('fn uses a `with` statement');
    expect(message).toContain('`with` hides which names come from outside');
  });

  it('`<!--` and `-->` inside a string are no comment in either reading: accepted', () => {
    expect(analysis("(s) => s === '<!--' || s === '-->'").free).toEqual([]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source analyzed holds a template
    expect(analysis('(s) => `<!--${s}\n-->` /* <!-- */').free).toEqual([]);
  });

  it('a source that is no function: shown, cut at 60 characters', () => {
    expect(refusal('not a function')).toBe(
      'fn cannot travel: its source is not a function closure-pool can parse (not a function). ' +
        'Pass an arrow function, a function expression or declaration, a method, or a class.',
    );
    const long = `x${'y'.repeat(80)}`;
    expect(refusal(long)).toContain(`(${long.slice(0, 60)}…). Pass`);
    expect(refusal('y'.repeat(60))).toContain(`(${'y'.repeat(60)}). Pass`);
  });

  it('a source with text after the function, even one that mentions `with`', () => {
    const trailing = refusal('function a() { return "with"; }); x');
    expect(trailing).toMatch(/^fn cannot travel: its source does not parse as strict-mode code \(/);
    expect(trailing).toContain('write it as you would in an ES module');
    expect(refusal('function a() {}); (x')).toContain('(not a single expression)');
  });

  it('the refusals are CaptureErrors with their codes', () => {
    for (const source of ['() => this', 'not a function']) {
      try {
        analysis(source);
      } catch (error) {
        expect((error as CaptureError).path).toBe('fn');
        expect([
          ErrorCode.CAPTURE_UNSUPPORTED_SYNTAX,
          ErrorCode.CAPTURE_UNSUPPORTED_FUNCTION,
        ]).toContain((error as CaptureError).code);
      }
    }
  });
});
