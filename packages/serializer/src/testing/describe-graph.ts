/**
 * A canonical text of a value graph: every object with its class, its own data in order, and an
 * id at first sight (`#3`) so that a second path to it reads `@3`. Two graphs with the same text
 * are deep-equal *and* have the same identity structure (shared objects, cycles, views sharing a
 * buffer). Self-contained on purpose: it is sent to worker threads as a closure.
 */
export function describeGraph(root: unknown): string {
  const ids = new Map<unknown, number>();
  const out: string[] = [];
  const primitive = (v: unknown): string =>
    typeof v === 'number'
      ? Object.is(v, -0)
        ? '-0'
        : String(v)
      : typeof v === 'bigint'
        ? `${v}n`
        : typeof v === 'string'
          ? JSON.stringify(v)
          : String(v);
  const visit = (v: unknown): void => {
    if (typeof v === 'function') {
      out.push(`fn:${v.name}/${v.length}`);
      return;
    }
    if (v === null || typeof v !== 'object') {
      out.push(`${v === null ? 'null' : typeof v}:${primitive(v)}`);
      return;
    }
    const seen = ids.get(v);
    if (seen !== undefined) {
      out.push(`@${seen}`);
      return;
    }
    ids.set(v, ids.size);
    const proto = Object.getPrototypeOf(v);
    const kind =
      proto === null
        ? 'null-proto'
        : Object.hasOwn(proto, 'constructor')
          ? proto.constructor.name
          : '?';
    out.push(`#${ids.get(v)}:${kind}{`);
    const isView = ArrayBuffer.isView(v);
    if (isView) {
      out.push(`${v.byteOffset}+${v.byteLength}`);
      visit(v.buffer);
    } else if (v instanceof ArrayBuffer) out.push(Buffer.from(v).toString('hex'));
    else if (v instanceof Date) out.push(String(v.getTime()));
    else if (v instanceof URL) out.push(v.href);
    else if (v instanceof RegExp) out.push(`/${v.source}/${v.flags}@${v.lastIndex}`);
    else if (v instanceof Error) {
      out.push(`${v.name}:${JSON.stringify(v.message)}`);
      if ('cause' in v) {
        out.push('cause=');
        visit(v.cause);
      }
      if (v instanceof AggregateError) visit(v.errors);
    } else if (v instanceof Map) {
      for (const [key, value] of v) {
        visit(key);
        out.push('=>');
        visit(value);
      }
    } else if (v instanceof Set) for (const member of v) visit(member);
    else if (
      v instanceof Number ||
      v instanceof String ||
      v instanceof Boolean ||
      v instanceof BigInt
    )
      out.push(primitive(v.valueOf()));
    if (Array.isArray(v)) out.push(`length=${v.length}`);
    if (!isView && !(v instanceof String)) {
      for (const key of Object.keys(v)) {
        out.push(`${JSON.stringify(key)}:`);
        visit((v as Record<string, unknown>)[key]);
      }
    }
    out.push('}');
  };
  visit(root);
  return out.join(' ');
}
