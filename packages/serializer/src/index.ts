export { Capture, ModuleRef, attachedCapture, capture, closure, moduleRef } from './capture.js';
export { registerClass } from './codec.js';
export { deserializeClosure } from './decode.js';
export { serializeClosure } from './encode.js';
export { CaptureError, ClosurePoolError, ErrorCode, PayloadError } from './errors.js';
export { PAYLOAD_VERSION, type Payload, parsePayload, payloadSchema } from './payload.js';
export { describe as describeValue } from './capture.js';
