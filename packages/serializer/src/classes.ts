/** Options of `registerClass`. */
export interface ClassOptions {
  /** The name the class is known by in messages. @default the class's name */
  readonly identifier?: string;
  /** Only these own properties of an instance travel. @default every own enumerable property */
  readonly allowProps?: readonly string[];
}

/** Classes registered with `registerClass`: their instances travel with their prototype. */
export const registeredClasses = new Map<Function, ClassOptions & { identifier: string }>();

/**
 * Makes a class's instances travel: the worker rebuilds them with the class, which travels too
 * (with its environment, like any captured function).
 */
export function registerClass(ctor: Function, options?: ClassOptions): void {
  registeredClasses.set(ctor, { ...options, identifier: options?.identifier ?? ctor.name });
}
