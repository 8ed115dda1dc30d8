// The payload's binary frame: made, split and hashed without its schema (payload-schema.ts), which
// only untrusted input needs: a pool's own threads read their main thread's frames without loading zod.
import { PayloadError } from './errors.js';
import { crypto } from './node-require.js';
import type { FunctionNode, Payload, PayloadBody, Ref } from './payload-schema.js';

export type { FunctionNode, Payload, PayloadBody, Ref };

/** The wire format's version: a worker refuses payloads of any other. */
export const PAYLOAD_VERSION = 3;

/** A payload checked and split: its body, the bytes of its values, and its large buffers. */
export interface ParsedPayload {
  readonly body: PayloadBody;
  readonly values: Uint8Array;
  readonly buffers: Uint8Array[];
}

/**
 * A payload as one binary frame: the body's JSON length (uint32 LE), the body's JSON (UTF-8), then
 * its data: the large buffers the body lists, and the values' bytes (`v8` serialization). In shared
 * memory, so that posting it to threads copies nothing however large it is.
 */
export function toFrame(bodyJson: string, data: readonly Uint8Array[]): Uint8Array {
  const bodyBytes = Buffer.byteLength(bodyJson);
  const size = data.reduce((n, part) => n + part.byteLength, 4 + bodyBytes);
  const frame = Buffer.from(new SharedArrayBuffer(size));
  frame.writeUInt32LE(bodyBytes, 0);
  frame.write(bodyJson, 4);
  let at = 4 + bodyBytes;
  for (const part of data) {
    frame.set(part, at);
    at += part.byteLength;
  }
  return frame;
}

const hashes = new WeakMap<Uint8Array, string>();

/** sha256 of a frame, hex: what a signature covers. Computed once per frame, when first asked for. */
export function hashFrame(frame: Uint8Array): string {
  let hash = hashes.get(frame);
  if (hash === undefined) {
    hash = crypto().createHash('sha256').update(frame).digest('hex');
    hashes.set(frame, hash);
  }
  return hash;
}

/** The JSON form of a frame. */
export function frameToPayload(frame: Uint8Array): Payload {
  const { body, data } = splitFrame(frame);
  return {
    ...(body as PayloadBody),
    hash: hashFrame(frame),
    values: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
  };
}

/** The frame of a payload in JSON form (its hash and signature are not part of it). */
export function payloadToFrame(payload: Payload): Uint8Array {
  const { hash: _, signature: _s, values, ...body } = payload;
  return toFrame(JSON.stringify(body), [Buffer.from(values, 'base64')]);
}

export function splitFrame(frame: Uint8Array): { body: unknown; data: Uint8Array } {
  const bytes = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  const length = bytes.byteLength >= 4 ? bytes.readUInt32LE(0) : -1;
  if (length < 0 || 4 + length > bytes.byteLength) throw frameError('is truncated');
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8', 4, 4 + length));
  } catch (error) {
    throw frameError('has a body that is not JSON', error);
  }
  return { body, data: bytes.subarray(4 + length) };
}

/**
 * A frame this process made (or one whose signature was checked), split without validating it: the
 * schema checks untrusted input, and a pool's own frames come from the main thread that built them.
 */
export function readTrustedFrame(frame: Uint8Array): ParsedPayload {
  const { body, data } = splitFrame(frame);
  return withBuffers(body as PayloadBody, data);
}

/** The body with its frame's data split into the large buffers it lists and the values' bytes. */
export function withBuffers(body: PayloadBody, data: Uint8Array): ParsedPayload {
  const buffers: Uint8Array[] = [];
  let at = 0;
  for (const length of body.buffers) {
    if (at + length > data.byteLength)
      throw frameError('is shorter than the buffers its body lists');
    buffers.push(data.subarray(at, at + length));
    at += length;
  }
  return { body, values: data.subarray(at), buffers };
}

function frameError(what: string, cause?: unknown): PayloadError {
  return new PayloadError(`Invalid closure payload: the frame ${what}. Nothing from it was run.`, {
    field: '(frame)',
    cause,
  });
}
