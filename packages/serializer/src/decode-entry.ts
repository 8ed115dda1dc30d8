// The worker side only: what a thread needs to rebuild closures, without the parser, scope
// analyzer and resolver that the calling side uses. Imported as '@closure-pool/serializer/decode'.

export { BoundedCache, DEFAULT_CACHE_BYTES } from './bounded-cache.js';
export { deserializeClosure } from './decode.js';
export { buildError, ClosurePoolError, ErrorCode, PayloadError } from './errors.js';
export { hashFrame } from './payload.js';
export { checkSecret, type Secret, verifySignature } from './signature.js';
