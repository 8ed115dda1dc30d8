// The copies the encoder makes where a value holds something structured clone cannot copy as it is:
// arrays keep their holes, length and extra properties; an error stand-in keeps its stack; the
// args of a registered class are copied exactly; large buffers are written once.
import { describe, expect, it } from 'vitest';
import { registerClass } from './classes.js';
import { deserializeClosure } from './decode.js';
import { encodeClosure } from './encode.js';
import { travel } from './test-helpers.js';

const hello = () => 'hello';

describe('copied arrays', () => {
  it('keep their holes and their length', async () => {
    // biome-ignore lint/suspicious/noSparseArray: the holes are the case
    const back = await travel([, hello, ,]);
    expect(back.length).toBe(3);
    expect(0 in back).toBe(false);
    expect(2 in back).toBe(false);
    expect(back[1]!()).toBe('hello');
  });

  it('keep their extra properties', async () => {
    const back = await travel(Object.assign([hello], { label: 'x', at: 3 }));
    expect(back.label).toBe('x');
    expect(back.at).toBe(3);
    expect(back.length).toBe(1);
  });
});

describe('an error with an object cause travels as a stand-in', () => {
  it('with its own stack', async () => {
    const error = new RangeError('outer', { cause: { code: 1 } });
    const back = await travel(error);
    expect(back.stack).toBe(error.stack);
    expect(back).toBeInstanceOf(RangeError);
    expect(back.cause).toEqual({ code: 1 });
  });
});

describe("registerClass's args", () => {
  it('are copied exactly, functions included, and the constructor gets just them', async () => {
    class Task {
      readonly count: number;
      constructor(
        readonly run: () => string,
        readonly label: string,
      ) {
        // biome-ignore lint/complexity/noArguments: what the constructor was called with is the case
        this.count = arguments.length;
      }
    }
    registerClass(Task, { args: (t: Task) => [t.run, t.label] });
    const v = new Task(hello, 'greet');
    const { frame } = encodeClosure(() => v, { v });
    const back = ((await deserializeClosure(frame, { trusted: true })) as () => Task)();
    expect(back.constructor.name).toBe('Task');
    expect(back.run()).toBe('hello');
    expect(back.label).toBe('greet');
    expect(back.count).toBe(2);
  });

  it('no args: the constructor is called with none', async () => {
    class Fresh {
      readonly count: number;
      constructor() {
        // biome-ignore lint/complexity/noArguments: what the constructor was called with is the case
        this.count = arguments.length;
      }
    }
    registerClass(Fresh, { args: () => [] });
    const v = new Fresh();
    const { frame } = encodeClosure(() => v, { v });
    const back = ((await deserializeClosure(frame, { trusted: true })) as () => Fresh)();
    expect(back.count).toBe(0);
  });
});

describe('large buffers', () => {
  it('are written once, beside the values, not also in line', () => {
    const size = 256 * 1024;
    const bytes = new Uint8Array(size);
    const { frame } = encodeClosure(() => bytes, { bytes });
    expect(frame.byteLength).toBeGreaterThan(size);
    expect(frame.byteLength).toBeLessThan(size + 4096);
  });
});
