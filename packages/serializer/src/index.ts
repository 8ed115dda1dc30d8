export { BoundedCache } from './bounded-cache.js';
export {
  attachedCapture,
  Capture,
  capture,
  closure,
  describe as describeValue,
  ModuleRef,
  moduleRef,
} from './capture.js';
export { registerClass } from './codec.js';
export { deserializeClosure } from './decode.js';
export { type EncodedClosure, encodeClosure, serializeClosure } from './encode.js';
export {
  buildError,
  CaptureError,
  ClosurePoolError,
  ErrorCode,
  type ErrorParts,
  PayloadError,
} from './errors.js';
export { PAYLOAD_VERSION, type Payload, parsePayload, payloadSchema } from './payload.js';
export { type Secret, signatureFor, signPayload, verifySignature } from './signature.js';
