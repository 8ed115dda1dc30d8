// [main] A serialized closure as the worker receives it: its hash, and its bytes in shared memory.
import type { EncodedClosure } from '@closure-pool/serializer';
import type { PayloadHandle } from './protocol.js';

const recent = new Map<string, PayloadHandle>();
const recentLimit = 16;

/** The handle for a payload; the same closure with the same values reuses its shared bytes. */
export function toHandle({ payload, json: text }: EncodedClosure): PayloadHandle {
  let handle = recent.get(payload.hash);
  if (handle) {
    recent.delete(payload.hash);
  } else {
    const json = Buffer.from(text, 'utf8');
    const bytes = new SharedArrayBuffer(json.byteLength);
    json.copy(Buffer.from(bytes));
    handle = { hash: payload.hash, bytes };
    if (recent.size >= recentLimit) recent.delete(recent.keys().next().value as string);
  }
  recent.set(payload.hash, handle);
  return handle;
}
