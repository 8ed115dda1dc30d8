// The wire schema field by field: each pattern accepts what it should, refuses what it should not
// (anchored at both ends), and names the field and the rule it broke.
import { beforeEach, describe, expect, it } from 'vitest';
import { serializeClosure } from './encode.js';
import { PayloadError } from './errors.js';
import type { Payload } from './payload.js';
import { freshImport, rehash } from './test-helpers.js';

// its schemas are built when it loads: loaded for each test, so that each test builds them
let schema: typeof import('./payload-schema.js');
beforeEach(async () => {
  schema = await freshImport('./payload-schema.js');
});

const y = 2;
const valid = () =>
  JSON.parse(JSON.stringify(serializeClosure((x: number) => x * y, { y }))) as Payload & {
    [key: string]: any;
  };

/** The error `parsePayload` gives for the valid payload with `edit` applied (and hashed again). */
function refusal(edit: (p: any) => void): PayloadError | undefined {
  const payload = valid();
  edit(payload);
  try {
    schema.parsePayload(rehash(payload));
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(PayloadError);
    return error as PayloadError;
  }
}

describe('names a function binds', () => {
  it.each([
    ['y', true],
    ['$_é1', true],
    ['_', true],
    ['1y', false],
    ['a b', false],
    ['y;', false],
    [';y', false],
    ['a-b', false],
  ])('%j: accepted %s', (name, ok) => {
    const error = refusal((p) => {
      p.functions[0].names = [name];
    });
    if (ok) expect(error).toBeUndefined();
    else {
      expect(error?.field).toBe('functions.0.names.0');
      expect(error?.message).toContain('must be a JavaScript identifier');
    }
  });
});

describe('native references', () => {
  it.each([
    ['Math.sqrt', true],
    ['structuredClone', true],
    ['Array.prototype.join', true],
    ['$a.b_1', true],
    ['Math.', false],
    ['1Math', false],
    ['Math.1', false],
    ['a.b.c', false],
    ['Array.prototype.', false],
    ['Array.prototype.1', false],
    [' Math.sqrt', false],
    ['Math.sqrt ', false],
    ['Math.sq-rt', false],
  ])('%j: accepted %s', (path, ok) => {
    const error = refusal((p) => {
      p.refs = [{ native: path }];
    });
    if (ok) expect(error).toBeUndefined();
    else {
      expect(error?.field).toMatch(/^refs\.0/);
      expect(error?.message).toContain('must be a global path like Math.sqrt');
    }
  });

  it.each(['eval', 'Function', 'globalThis.eval', 'Function.prototype'])(
    '%j is refused: it compiles code',
    (path) => {
      const error = refusal((p) => {
        p.refs = [{ native: path }];
      });
      expect(error?.message).toMatch(/must not be eval or Function|must be a global path/);
    },
  );
});

describe('modules', () => {
  it.each([
    ['node:fs', true],
    ['node:fs/promises', true],
    ['node:worker_threads', true],
    ['file:///app/lib.js', true],
    ['node:', false],
    ['node:Fs', false],
    ['node:-fs', false],
    ['node:fs x', false],
    ['file://', false],
    ['file:///a b.js', false],
    ['https://example.test/x.js', false],
    ['xnode:fs', false],
    ['data:text/javascript,1', false],
  ])('%j: accepted %s', (url, ok) => {
    const error = refusal((p) => {
      p.modules = [{ url }];
    });
    if (ok) expect(error).toBeUndefined();
    else {
      expect(error?.field).toBe('modules.0.url');
      expect(error?.message).toContain('must be a node: builtin or a file: URL');
    }
  });
});

describe('what a refusal says, beyond "Invalid input"', () => {
  it('a field this version does not know: its name, and that the versions may differ', () => {
    const error = refusal((p) => {
      p.functions[0].later = true;
    });
    expect(error?.field).toBe('functions.0.later');
    expect(error?.message).toBe(
      'Invalid closure payload: functions.0.later: unknown key "later". A newer closure-pool writes fields this one does not know: run the same closure-pool version where payloads are made and where they run. Nothing from it was run.',
    );
  });

  it('another version: both versions, and the fix', () => {
    const error = refusal((p) => {
      p.version = 4;
    });
    expect(error?.field).toBe('version');
    expect(error?.message).toContain(
      'version: the payload is version 4, this closure-pool reads version 3: run the same closure-pool version',
    );
  });

  it('a value of the wrong type: what was expected and what came', () => {
    expect(refusal((p) => (p.functions[0].names = [1]))?.message).toContain(
      'functions.0.names.0: expected string, received number.',
    );
    expect(refusal((p) => delete p.functions)?.message).toContain(
      'functions: expected array, received undefined.',
    );
  });

  it('a function reference: the rule of the shape it has, or the shapes there are', () => {
    expect(refusal((p) => (p.root = { fn: -1 }))?.message).toContain('root.fn: expected >= 0.');
    expect(refusal((p) => (p.root = { native: 'Math.' }))?.message).toContain(
      'root.native: must be a global path like Math.sqrt',
    );
    expect(refusal((p) => (p.root = { fn: 0, module: 0 }))?.message).toContain(
      'root: must be one of { fn: index }, { native: path } or { module: index }.',
    );
  });

  it("a hostile key's name is cut short in the message", () => {
    const error = refusal((p) => {
      p['x'.repeat(10_000)] = 1;
    });
    expect(error?.message.length).toBeLessThan(800);
    expect(error?.message).toContain(`${'x'.repeat(200)}`);
  });
});

describe('hash and signature', () => {
  const hex = 'a'.repeat(64);
  it.each([
    ['hash', `${hex}0`, 'must be a sha256 hex digest'],
    ['hash', `0${hex}`, 'must be a sha256 hex digest'],
    ['signature', `${hex}0`, 'must be an HMAC-SHA256 hex digest'],
    ['signature', `0${hex}`, 'must be an HMAC-SHA256 hex digest'],
  ])('%s of 65 characters is refused', (field, value, rule) => {
    const payload = { ...valid(), [field]: value };
    try {
      schema.parsePayload(payload);
      expect.unreachable('accepted');
    } catch (error) {
      expect((error as PayloadError).field).toBe(field);
      expect((error as Error).message).toContain(rule);
    }
  });
});

describe('references past the end', () => {
  it('of functions, from the root, a class and a ref', () => {
    expect(refusal((p) => (p.root = { fn: 1 }))?.message).toBe(
      'Invalid closure payload: root points to function 1, but there are only 1.',
    );
    expect(refusal((p) => (p.root = { fn: 0 }))).toBeUndefined();
    expect(
      refusal((p) => {
        p.classes = [{ identifier: 'C', fn: 1 }];
      })?.field,
    ).toBe('classes.0.fn');
    expect(
      refusal((p) => {
        p.refs = [{ fn: 0 }, { fn: 1 }];
      })?.message,
    ).toContain('refs.1 points to function 1');
  });

  it('of modules', () => {
    const error = refusal((p) => {
      p.modules = [{ url: 'node:fs' }];
      p.refs = [{ module: 1 }];
    });
    expect(error?.message).toBe(
      'Invalid closure payload: refs.0 points to module 1, but there are only 1.',
    );
    expect(
      refusal((p) => {
        p.modules = [{ url: 'node:fs' }];
        p.refs = [{ module: 0 }];
      }),
    ).toBeUndefined();
  });
});
