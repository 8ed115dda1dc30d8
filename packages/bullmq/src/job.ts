// [both sides of the queue] What a job carries and how it is encoded. Items and replies go through
// v8.serialize (base64 in the job's JSON), so they travel with the same structured-clone rules as
// between threads; the payload is stored once in Redis under its hash, and the job names it.
import { deserialize, serialize } from 'node:v8';
import type { ChunkReply } from '@closure-pool/core';

export interface ChunkJob {
  readonly hash: string;
  /** HMAC-SHA256 of `hash` under the shared secret: the worker checks it before evaluating anything. */
  readonly signature: string;
  readonly mode: 'item' | 'spread';
  readonly start: number;
  /** v8.serialize(items), base64. */
  readonly items: string;
}

export const payloadKey = (queue: string, hash: string) => `closure-pool:${queue}:payload:${hash}`;

export const encodeValue = (value: unknown): string => serialize(value).toString('base64');

export const decodeValue = <T>(text: string): T => deserialize(Buffer.from(text, 'base64')) as T;

/** A reply as the worker returns it: the v8 bytes, base64. */
export function encodeReply(reply: ChunkReply | Uint8Array): string {
  return reply instanceof Uint8Array ? Buffer.from(reply).toString('base64') : encodeValue(reply);
}
