import { isBuiltin } from 'node:module';
import { pathToFileURL } from 'node:url';
import { resolve as resolveModule } from 'import-meta-resolve';
import { CaptureError, ErrorCode } from './errors.js';

/**
 * Resolves `specifier` as the code that called `api` would import it, so that the worker, whose
 * own directory may not see the caller's dependencies, imports exactly the same file.
 */
export function resolveFromCaller(specifier: string, api: Function): string {
  if (isBuiltin(specifier)) return specifier.startsWith('node:') ? specifier : `node:${specifier}`;
  const parent = callerUrl(api);
  let url: string;
  try {
    url = resolveModule(specifier, parent);
  } catch (error) {
    throw new CaptureError(
      ErrorCode.CAPTURE_INVALID,
      `moduleRef('${specifier}') cannot be resolved from ${parent}: ${(error as Error).message}. ` +
        'Install the package where your code can import it, or pass an absolute file URL.',
      { path: 'moduleRef', cause: error },
    );
  }
  // a worker imports only builtins and files: never code carried in a URL (data:, http:)
  if (!url.startsWith('file://')) {
    throw new CaptureError(
      ErrorCode.CAPTURE_INVALID,
      `moduleRef('${specifier.slice(0, 80)}') resolves to ${url.slice(0, 80)}, not to a file: a worker imports only Node builtins and files. Install the module, or write it to a file.`,
      { path: 'moduleRef' },
    );
  }
  return url;
}

/** The file URL of the function that called `api`, read from a structured V8 stack trace. */
function callerUrl(api: Function): string {
  const holder: { stack?: NodeJS.CallSite[] } = {};
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (_, frames) => frames;
  try {
    Error.captureStackTrace(holder, api);
    for (const frame of holder.stack ?? []) {
      const file = frame.getFileName();
      if (file && !file.startsWith('node:')) {
        return file.startsWith('file:') ? file : pathToFileURL(file).href;
      }
    }
  } finally {
    Error.prepareStackTrace = previous;
  }
  return pathToFileURL(`${process.cwd()}/`).href;
}
