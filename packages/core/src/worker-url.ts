// [main] Where the worker file is: dist/worker.cjs, the bundle of worker.ts. In the built package
// it sits beside this file; when the TypeScript sources run directly (this package's own tests),
// the built copy in dist/ is used.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const beside = new URL('./worker.cjs', import.meta.url);

export const workerUrl: URL = existsSync(fileURLToPath(beside))
  ? beside
  : new URL('../dist/worker.cjs', import.meta.url);
