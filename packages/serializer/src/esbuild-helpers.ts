// esbuild's runtime helpers, which it puts into a file when it lowers syntax for an older target
// (class fields, object spread and rest, async) or keeps names (`keepNames`, on in tsx). They are
// not exported by any package, so these follow esbuild's internal/runtime/runtime.go semantics.
const defProp = Object.defineProperty;
const hasOwn = Object.prototype.hasOwnProperty;
const isEnumerable = Object.prototype.propertyIsEnumerable;

function defNormalProp(obj: any, key: PropertyKey, value: unknown) {
  if (key in obj)
    return defProp(obj, key, { enumerable: true, configurable: true, writable: true, value });
  obj[key] = value;
  return value;
}

export const esbuildHelpers = {
  __name: (target: Function, value: string) =>
    defProp(target, 'name', { value, configurable: true }),
  __publicField: (obj: object, key: PropertyKey, value: unknown) =>
    defNormalProp(obj, typeof key !== 'symbol' ? `${String(key)}` : key, value),
  __spreadValues: (a: any, b: any) => {
    b ||= {};
    for (const prop in b) if (hasOwn.call(b, prop)) defNormalProp(a, prop, b[prop]);
    for (const prop of Object.getOwnPropertySymbols(b))
      if (isEnumerable.call(b, prop)) defNormalProp(a, prop, b[prop]);
    return a;
  },
  __spreadProps: (a: object, b: object) =>
    Object.defineProperties(a, Object.getOwnPropertyDescriptors(b)),
  __objRest: (source: any, exclude: PropertyKey[]) => {
    const target: any = {};
    for (const prop in source)
      if (hasOwn.call(source, prop) && !exclude.includes(prop)) target[prop] = source[prop];
    if (source != null)
      for (const prop of Object.getOwnPropertySymbols(source))
        if (!exclude.includes(prop) && isEnumerable.call(source, prop)) target[prop] = source[prop];
    return target;
  },
  __async: (self: unknown, args: unknown, generator: any) =>
    new Promise((resolve, reject) => {
      const fulfilled = (value: unknown) => {
        try {
          step(generator.next(value));
        } catch (e) {
          reject(e);
        }
      };
      const rejected = (value: unknown) => {
        try {
          step(generator.throw(value));
        } catch (e) {
          reject(e);
        }
      };
      const step = (x: IteratorResult<unknown>): unknown =>
        x.done ? resolve(x.value) : Promise.resolve(x.value).then(fulfilled, rejected);
      generator = generator.apply(self, args);
      step(generator.next());
    }),
};
