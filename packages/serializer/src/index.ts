export { BoundedCache, DEFAULT_CACHE_BYTES } from './bounded-cache.js';
export {
  attachedCapture,
  Capture,
  capture,
  closure,
  describe as describeValue,
  ModuleRef,
  moduleRef,
} from './capture.js';
export { type ClassOptions, registerClass } from './classes.js';
export { deserializeClosure, scriptName, sourcePosition } from './decode.js';
export {
  createPayloadCache,
  type EncodedClosure,
  encodeClosure,
  type PayloadCache,
  serializeClosure,
} from './encode.js';
export {
  buildError,
  CaptureError,
  ClosurePoolError,
  ErrorCode,
  type ErrorParts,
  PayloadError,
} from './errors.js';
export {
  frameToPayload,
  hashFrame,
  PAYLOAD_VERSION,
  type Payload,
  type PayloadBody,
  payloadToFrame,
  readTrustedFrame,
} from './payload.js';
export { bodySchema, parsePayload, payloadSchema } from './payload-schema.js';
export { scopesAvailable, setScopeChecks } from './scopes.js';
export {
  checkSecret,
  MIN_SECRET_BYTES,
  type Secret,
  signatureFor,
  signPayload,
  verifySignature,
} from './signature.js';
export { CANNOT_TRAVEL } from './value-refusals.js';
