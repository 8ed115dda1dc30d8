// [main] A serialized closure as the worker receives it: its hash, and its bytes in shared memory.
import { BoundedCache, type EncodedClosure } from '@closure-pool/serializer';
import type { PayloadHandle } from './protocol.js';

const recent = new BoundedCache<string, PayloadHandle>(16);

/** The handle for a payload; the same closure with the same values reuses its shared bytes. */
export function toHandle({ payload, json: text }: EncodedClosure): PayloadHandle {
  let handle = recent.get(payload.hash);
  if (!handle) {
    const json = Buffer.from(text, 'utf8');
    const bytes = new SharedArrayBuffer(json.byteLength);
    json.copy(Buffer.from(bytes));
    handle = { hash: payload.hash, bytes };
    recent.set(payload.hash, handle);
  }
  return handle;
}
