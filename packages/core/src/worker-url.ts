// [main] Where the worker file is. In the built package, dist/worker.cjs (the bundle of worker.ts)
// sits beside this file; when the TypeScript sources run directly (this package's own tests), the
// built copy in dist/ is used. An app bundled into one file (esbuild, webpack) has neither: Piscina,
// bundled with it, starts its threads on `worker.js` beside the bundle, where the app copies the
// standalone worker (dist/closure-pool-worker.cjs), which is then found here too.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ClosurePoolError, ErrorCode, InvalidArgumentError } from './errors.js';

const standaloneMark = '/* closure-pool standalone worker */';
const copyHint =
  'copy node_modules/@closure-pool/core/dist/closure-pool-worker.cjs beside the bundle, as worker.js (the name Piscina starts its threads on)';

export function findWorkerFile(option?: string | URL): URL {
  if (option !== undefined) {
    const url = toUrl(option);
    if (!existsSync(fileURLToPath(url)))
      throw new InvalidArgumentError(
        `\`workerFile\` names ${fileURLToPath(url)}, which does not exist. For an app bundled into one file, ${copyHint}.`,
      );
    return url;
  }
  // import.meta.url is empty when this code was bundled into a CommonJS file
  const here = import.meta.url || undefined;
  const packaged = here ? [new URL('./worker.cjs', here), new URL('../dist/worker.cjs', here)] : [];
  const found = packaged.find((url) => existsSync(fileURLToPath(url)));
  if (found) return found;
  const bundle = here ? fileURLToPath(here) : process.argv[1];
  const standalone = bundle ? join(dirname(bundle), 'worker.js') : undefined;
  if (standalone && isStandalone(standalone)) return pathToFileURL(standalone);
  throw new ClosurePoolError(
    ErrorCode.WORKER_FILE_MISSING,
    `closure-pool cannot find its worker file (looked for ${[...packaged.map((url) => fileURLToPath(url)), standalone].filter(Boolean).join(', ')}). ` +
      `If you bundled your app into one file, ${copyHint}.`,
  );
}

function isStandalone(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').startsWith(standaloneMark);
  } catch {
    return false;
  }
}

function toUrl(option: string | URL): URL {
  if (option instanceof URL) return option;
  if (typeof option === 'string')
    return option.startsWith('file:') ? new URL(option) : pathToFileURL(option);
  throw new InvalidArgumentError(
    `Expected \`workerFile\` to be a path or a file: URL, got ${typeof option}.`,
  );
}
