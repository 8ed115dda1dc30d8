// [main] Which items of a chunk cannot cross to a worker thread, and where in them the culprit is:
// asked only after posting a chunk failed, so that the items at fault fail alone.
import { ErrorCode } from '@closure-pool/serializer';
import { TaskError } from './errors.js';

export interface Uncloneable {
  /** The item's position in the chunk. */
  readonly position: number;
  readonly error: unknown;
  /** Where in the item: `[1].handler`, or empty for the item itself. */
  readonly path: string;
}

export function uncloneableItems(items: readonly unknown[]): Uncloneable[] {
  const found: Uncloneable[] = [];
  items.forEach((item, position) => {
    try {
      structuredClone(item);
    } catch (error) {
      found.push({ position, error, path: culpritPath(item, '', 0, new Set()) ?? '' });
    }
  });
  return found;
}

/** The path of the first function, symbol or other uncloneable value inside `value`. */
function culpritPath(
  value: unknown,
  path: string,
  depth: number,
  seen: Set<object>,
): string | undefined {
  if (typeof value === 'function' || typeof value === 'symbol') return path;
  if (value === null || typeof value !== 'object' || seen.has(value) || depth > 20)
    return undefined;
  seen.add(value);
  const entries: [string, unknown][] =
    value instanceof Map
      ? [...value].map(([k, v]) => [`.get(${String(k)})`, v])
      : value instanceof Set
        ? [...value].map((v, i) => [`.<member ${i}>`, v])
        : Array.isArray(value)
          ? value.map((v, i) => [`[${i}]`, v])
          : Object.entries(value).map(([k, v]) => [`.${k}`, v]);
  for (const [segment, child] of entries) {
    const inner = culpritPath(child, path + segment, depth + 1, seen);
    if (inner !== undefined) return inner;
  }
  try {
    structuredClone(value);
    return undefined;
  } catch {
    return path; // this object itself (a class instance with private state, a stream…)
  }
}

/** The error of an item that could not be sent, at `index` of the call's input. */
export function itemNotCloneable(index: number, { error, path }: Uncloneable): TaskError {
  const where = path ? ` (at item${path})` : '';
  const message = `Item ${index} cannot be sent to a worker thread${where}: ${(error as Error)?.message} Items must be what structuredClone accepts.`;
  return new TaskError(index, error, ErrorCode.ITEM_NOT_CLONEABLE, message);
}
