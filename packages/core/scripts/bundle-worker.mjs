// Bundles the worker thread's entry (dist/worker.js, from tsc) with what it imports into one
// CommonJS file, dist/worker.cjs.
// - One file: each new thread loads one module instead of dozens. Measured on the 2-core machine:
//   115 ms to import the unbundled worker, 47 ms bundled (24 ms once zod/mini replaced zod).
// - CommonJS: Piscina loads a worker with require() first, and Node 20's require() of an ES module
//   can abort the whole process when a pool is destroyed while a thread is still loading (seen in
//   the bench with a plain ESM worker file: `Assertion failed: facade->InstantiateModule`).
import { rm } from 'node:fs/promises';
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/worker.js'],
  outfile: 'dist/worker.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  keepNames: true,
  sourcemap: true,
  legalComments: 'eof',
  logLevel: 'warning',
});
// the unbundled ES module tsc wrote is not used: remove it so that nothing loads it by mistake
await rm('dist/worker.js');
await rm('dist/worker.js.map', { force: true });
