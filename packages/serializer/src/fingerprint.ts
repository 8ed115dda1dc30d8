// A fast content fingerprint for large byte arrays (xxh64, in WebAssembly: ~2 ms for 10 MB here,
// against ~20 ms for sha256), so that a capture holding the same bytes as last time can reuse its
// encoded payload instead of encoding and hashing them again.
import xxhash from 'xxhash-wasm';

type Hasher = Awaited<ReturnType<typeof xxhash>>;
let hasher: Hasher | undefined;
// loaded in the background: until it is ready, payloads are simply not reused
void xxhash().then((loaded) => {
  hasher = loaded;
});

/** `Type:byteLength:xxh64` of the bytes, or undefined while the hasher is still loading. */
export function fingerprint(value: ArrayBuffer | ArrayBufferView): string | undefined {
  if (!hasher) return undefined;
  const bytes =
    value instanceof ArrayBuffer
      ? new Uint8Array(value)
      : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return `${Buffer.isBuffer(value) ? 'Buffer' : value.constructor.name}:${bytes.byteLength}:${hasher.h64Raw(bytes, 0n).toString(36)}`;
}
