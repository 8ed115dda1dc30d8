import { Parser } from 'acorn';
import { CaptureError, ErrorCode } from './errors.js';

/** Options of `registerClass`. */
export interface ClassOptions {
  /** The name the class is known by in messages. @default the class's name */
  readonly identifier?: string;
  /** Only these own properties of an instance travel. @default every own enumerable property */
  readonly allowProps?: readonly string[];
  /**
   * The arguments that make a copy of an instance: the worker builds it with `new Class(...args)`
   * instead of copying its properties. For a class whose state is not in its own properties
   * (`#private` fields), which no copy can carry. Like pickle's `__reduce__`.
   */
  readonly args?: (instance: any) => readonly unknown[];
}

/** Classes registered with `registerClass`: their instances travel with their prototype. */
export const registeredClasses = new Map<Function, ClassOptions & { identifier: string }>();

/**
 * Makes a class's instances travel: the worker rebuilds them with the class, which travels too
 * (with its environment, like any captured function).
 */
export function registerClass(ctor: Function, options?: ClassOptions): void {
  if (options?.args !== undefined && typeof options.args !== 'function')
    throw new CaptureError(
      ErrorCode.CAPTURE_INVALID,
      `registerClass(${ctor.name}, { args }) expects args to be a function of an instance that returns its constructor's arguments, like (p) => [p.x, p.y].`,
      { path: 'registerClass' },
    );
  registeredClasses.set(ctor, { ...options, identifier: options?.identifier ?? ctor.name });
}

const privateMembers = new WeakMap<Function, boolean>();

/**
 * Whether instances of `ctor` (or of a class it extends) have `#private` fields or methods, which
 * a copy of their own properties does not carry.
 */
export function hasPrivateState(ctor: Function): boolean {
  let known = privateMembers.get(ctor);
  if (known === undefined) {
    let source = '';
    try {
      source = Function.prototype.toString.call(ctor);
    } catch {}
    known = /^class\b/.test(source) && declaresPrivate(source);
    const parent = Object.getPrototypeOf(ctor);
    if (!known && typeof parent === 'function' && parent !== Function.prototype)
      known = hasPrivateState(parent);
    privateMembers.set(ctor, known);
  }
  return known;
}

function declaresPrivate(source: string): boolean {
  if (!source.includes('#')) return false;
  try {
    const node: any = Parser.parseExpressionAt(source, 0, { ecmaVersion: 'latest' });
    return node.body.body.some((m: any) => !m.static && m.key?.type === 'PrivateIdentifier');
  } catch {
    return false;
  }
}
