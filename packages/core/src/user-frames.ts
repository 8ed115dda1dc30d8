// [main] Stacks that point at the user's code. A function rebuilt in a worker runs as a script
// named `closure-pool:///<name>.js`; its frames are moved back to the file, line and column where
// the function was written (V8's inspector tells where a function object is, looked up only when
// an error comes back, once per function source; then the file's source map, if Node has one:
// the TypeScript line under tsx or --enable-source-maps). The frames of the call site (`map`,
// `apply`) follow, so that one stack shows both ends.
import { Session } from 'node:inspector';
import { findSourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BoundedCache } from '@closure-pool/serializer';

/** Where a function's text (`fn.toString()`) starts: its script's URL, 0-based line and column. */
interface Location {
  readonly url: string;
  readonly line: number;
  readonly column: number;
}

/**
 * The functions of one call whose frames can be moved, by the script name their frames show, with
 * their payload source and where it starts in that script (1-based line, 0-based column).
 */
export type Origins = ReadonlyMap<
  string,
  { fn: Function; source: string; line: number; column: number }
>;

let session: Session | undefined;
const scriptUrls = new Map<string, string>();
/** Where each function source was written, by its text: the most recent 1,024 (and 8 MB of text). */
const locations = new BoundedCache<string, Location | null>(1024, 8 * 1024 * 1024);

function post<T>(method: string, params?: object): T {
  let result: T | undefined;
  let failure: unknown;
  // a session on this thread answers synchronously
  session!.post(method, params ?? {}, (error, answer) => {
    failure = error;
    result = answer as T;
  });
  if (failure) throw failure;
  return result!;
}

/** Where `fn` was written, or undefined when the inspector cannot tell (it is then left as is). */
function locate(fn: Function): Location | undefined {
  const source = Function.prototype.toString.call(fn);
  const known = locations.get(source);
  if (known !== undefined) return known ?? undefined;
  let found: Location | undefined;
  try {
    if (!session) {
      session = new Session();
      session.connect();
      session.on('Debugger.scriptParsed', ({ params }) =>
        scriptUrls.set(params.scriptId, params.url),
      );
    }
    const key = '__closurePoolLocate';
    (globalThis as Record<string, unknown>)[key] = fn;
    const { result } = post<{ result: { objectId: string } }>('Runtime.evaluate', {
      expression: `globalThis.${key}`,
      objectGroup: 'closure-pool',
    });
    delete (globalThis as Record<string, unknown>)[key];
    const { internalProperties = [] } = post<{
      internalProperties?: { name: string; value?: { value?: Record<string, unknown> } }[];
    }>('Runtime.getProperties', { objectId: result.objectId, ownProperties: true });
    post('Runtime.releaseObjectGroup', { objectGroup: 'closure-pool' });
    const at = internalProperties.find((p) => p.name === '[[FunctionLocation]]')?.value?.value as
      | { scriptId: string; lineNumber: number; columnNumber: number }
      | undefined;
    if (at) found = textStart(at, source);
  } catch {
    found = undefined; // no inspector here (or it is busy): frames stay as they are
  }
  locations.set(source, found ?? null, source.length * 2);
  return found;
}

/**
 * Where `text` starts in the script V8 says holds a place inside it: V8 places a function at its
 * parameters (or a class at its constructor's), not where its text starts, so the text is found in
 * the script at or before that place. One Debugger session reads the script's source and, replayed
 * by Debugger.enable for every loaded script, its name.
 */
function textStart(
  at: { scriptId: string; lineNumber: number; columnNumber: number },
  text: string,
): Location | undefined {
  post('Debugger.enable');
  let script: string;
  try {
    script = post<{ scriptSource: string }>('Debugger.getScriptSource', {
      scriptId: at.scriptId,
    }).scriptSource;
  } finally {
    post('Debugger.disable');
  }
  const url = scriptUrls.get(at.scriptId);
  if (!url) return undefined;
  const lines = script.split('\n');
  let offset = at.columnNumber;
  for (let i = 0; i < at.lineNumber; i++) offset += lines[i]!.length + 1;
  const index = script.lastIndexOf(text, offset);
  if (index < 0 || index + text.length < offset) return undefined;
  const before = script.slice(0, index).split('\n');
  return { url, line: before.length - 1, column: before.at(-1)!.length };
}

/**
 * The index in a function's text of a column on its payload source's first line, which wraps the
 * text (`(…)`) or, for a method, renames its key (`({ m(x) {…} }).m`): matched from the end of
 * the line, which both share. A column in the wrapping maps to the text's start.
 */
function textColumn(source: string, text: string, column: number): number {
  const inner = source.endsWith(' }).m') ? source.slice(0, -5) : source.slice(0, -1);
  const sourceLine = inner.split('\n')[0]!;
  const textLine = text.split('\n')[0]!;
  let shared = 0;
  while (
    shared < Math.min(sourceLine.length, textLine.length) &&
    sourceLine[sourceLine.length - 1 - shared] === textLine[textLine.length - 1 - shared]
  )
    shared++;
  return Math.max(0, column - (sourceLine.length - shared)) + (textLine.length - shared);
}

const frame = /(closure-pool:\/\/\/[^:)\s]+\.js):(\d+):(\d+)/g;

/** `stack` with each frame of a rebuilt function moved to where the function was written. */
export function userStack(stack: string, origins: Origins): string {
  return stack.replace(frame, (whole, script: string, line: string, column: string) => {
    const origin = origins.get(script);
    const at = origin && locate(origin.fn);
    if (!origin || !at) return whole;
    const inSource = Number(line) - origin.line;
    if (inSource < 0) return whole;
    const col = Number(column) - 1;
    let position = {
      url: at.url,
      line: at.line + inSource,
      column:
        inSource === 0
          ? at.column +
            textColumn(
              origin.source,
              Function.prototype.toString.call(origin.fn),
              col - origin.column,
            )
          : col,
    };
    const map = safely(() => findSourceMap(at.url));
    const original = map && safely(() => map.findEntry(position.line, position.column));
    if (original && 'originalSource' in original && original.originalSource)
      position = {
        url: original.originalSource,
        line: original.originalLine,
        column: original.originalColumn,
      };
    // named as Node names that file's own frames: its URL (file:// for ES modules)
    return `${position.url}:${position.line + 1}:${position.column + 1}`;
  });
}

/** The pool's own frames in a worker's stack: its worker file, Piscina, the async context. */
const machinery = /worker\.cjs:|closure-pool-worker\.cjs:|[\\/]piscina[\\/]|node:async_hooks/;

/** The frames of a stack, without its first line (the error's name and message) or the pool's own. */
export function framesOf(stack: string | undefined): string {
  if (!stack) return '';
  const lines = stack.split('\n');
  const first = lines.findIndex((l) => /^\s+at /.test(l));
  if (first < 0) return '';
  return lines
    .slice(first)
    .filter((line) => !machinery.test(line))
    .join('\n');
}

/** The frames of where the caller called the pool, captured cheaply (formatted only if used). */
export function callSite(below: Function): { readonly stack?: string } {
  const site: { stack?: string } = {};
  Error.captureStackTrace(site, below);
  return site;
}

/**
 * The pool's own frames in a stack taken on the main thread: lines in its pool module (where its
 * file is known: a bundle has none), or of its methods by name.
 */
const here = import.meta.url || undefined;
const ownModules = here ? [fileURLToPath(new URL('pool.', here))] : [];
const ownMethods = /^\s+at (async )?ClosurePool\.(apply|callDirectly) /;

/**
 * The frames of the caller as V8's async stack trace has them, read where a failure comes back:
 * free until then, where `callSite` captures a stack on every call. Only callers that await the
 * call show (`at async main (file:line)`): the price of the one-call path's speed.
 */
export function awaitedSite(): { readonly stack?: string } {
  const site: { stack?: string } = {};
  Error.captureStackTrace(site, awaitedSite);
  const stack = site.stack
    ?.split('\n')
    .filter((line) => !ownMethods.test(line) && !ownModules.some((file) => line.includes(file)))
    .join('\n');
  return { stack };
}

function safely<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
