// [both] A `require` for loading packages and builtins on demand, in ES module code and in a
// CommonJS bundle of it alike (where `require` exists and import.meta.url is empty).
import type * as Crypto from 'node:crypto';
import { createRequire } from 'node:module';

export const nodeRequire: NodeJS.Require =
  typeof require === 'function' ? require : createRequire(import.meta.url);

/** node:crypto, loaded when first needed: 4 ms of a thread's start that a pool's own frames never need. */
export const crypto = (): typeof Crypto => nodeRequire('node:crypto');
