// Bundles the worker thread's entry (dist/worker.js, from tsc) with what it imports into one
// CommonJS file, dist/worker.cjs.
// - One file: each new thread loads one module instead of dozens. Measured on the 2-core machine:
//   115 ms to import the unbundled worker, 47 ms bundled (24 ms once zod/mini replaced zod).
// - CommonJS: Piscina loads a worker with require() first, and Node 20's require() of an ES module
//   can abort the whole process when a pool is destroyed while a thread is still loading (seen in
//   the bench with a plain ESM worker file: `Assertion failed: facade->InstantiateModule`).
// - closure-pool-worker.cjs, the standalone worker: the same (acorn and zod included), plus Piscina's own thread entry, for
//   apps bundled into one file. Piscina starts each thread on `worker.js` beside its own code,
//   which in a bundle is the bundle's folder: this file, copied there as worker.js, is both.
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

/** One CommonJS file for Node 20, minified but with its functions' names kept. */
const oneFile = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  keepNames: true,
  legalComments: 'eof',
  logLevel: 'warning',
};
await build({
  ...oneFile,
  entryPoints: ['dist/worker.js'],
  outfile: 'dist/worker.cjs',
  sourcemap: true,
  // loaded from node_modules, where Piscina's thread code comes from: `move()` marks results
  // with a symbol private to that copy of Piscina. acorn and zod check untrusted payloads only,
  // which a pool's own threads never get, and tslib serves only functions compiled by tsc: left
  // out, they are loaded on demand (most of the bundle, and 6 ms of every thread's start,
  // measured with 11 threads each way)
  external: ['piscina', 'acorn', 'zod', 'zod/mini', 'tslib'],
});
const piscinaThread = join(dirname(createRequire(import.meta.url).resolve('piscina')), 'worker.js');
await build({
  ...oneFile,
  stdin: {
    contents: [
      `require(${JSON.stringify(piscinaThread)});`,
      // Piscina then loads the task handler from this same file: the module it is already running
      "module.exports = require('./worker.js');",
    ].join('\n'),
    resolveDir: 'dist',
    loader: 'js',
  },
  outfile: 'dist/closure-pool-worker.cjs',
  // Piscina's optional thread priority addon: loaded only when asked for, absent in a bundle
  external: ['@napi-rs/nice'],
  banner: { js: '/* closure-pool standalone worker */' },
});
// the unbundled ES module tsc wrote is not used: remove it so that nothing loads it by mistake
await rm('dist/worker.js');
await rm('dist/worker.js.map', { force: true });
