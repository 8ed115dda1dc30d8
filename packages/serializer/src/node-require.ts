// [both] A `require` for loading packages and builtins on demand, in ES module code and in a
// CommonJS bundle of it alike (where `require` exists and import.meta.url is empty).
import { createRequire } from 'node:module';

export const nodeRequire: NodeJS.Require =
  typeof require === 'function' ? require : createRequire(import.meta.url);
