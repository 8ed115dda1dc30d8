import * as tslib from 'tslib';
import { esbuildHelpers } from './esbuild-helpers.js';

/**
 * Helpers that compilers put into a function's body: tsc's `__awaiter`, `__generator`, `__rest`…
 * (identical to tslib's) and esbuild's `__name`, `__publicField`, `__async`… (tsx runs esbuild).
 * The worker supplies them when the capture does not.
 */
export const toolchainHelpers: Readonly<Record<string, unknown>> = Object.freeze({
  ...Object.fromEntries(Object.entries(tslib).filter(([name]) => name.startsWith('__'))),
  ...esbuildHelpers,
});
