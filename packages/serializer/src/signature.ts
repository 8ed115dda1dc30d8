// Authenticating a payload that crosses a process or machine boundary: an HMAC-SHA256, with a
// secret both sides share, over the payload's content hash (which covers everything else).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { PayloadError } from './errors.js';
import type { Payload } from './payload.js';

export type Secret = string | Buffer;

/** The payload with its `signature`. */
export function signPayload(payload: Payload, secret: Secret): Payload {
  return { ...payload, signature: hmac(payload.hash, secret) };
}

/** Throws PayloadError unless `payload.signature` is the HMAC of its hash under `secret`. */
export function verifySignature(
  payload: { readonly hash: string; readonly signature?: string | undefined },
  secret: Secret,
): void {
  if (payload.signature === undefined) {
    throw new PayloadError(
      'Refused an unsigned closure payload: a secret is set, so every payload must be signed (signPayload).',
      {
        field: 'signature',
      },
    );
  }
  const expected = Buffer.from(hmac(payload.hash, secret), 'hex');
  const given = Buffer.from(payload.signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new PayloadError(
      'Refused a closure payload whose signature does not match: it was altered, or signed with another secret.',
      {
        field: 'signature',
      },
    );
  }
}

/** The signature for a payload hash: what `signPayload` adds, for senders that keep the hash apart. */
export function signatureFor(hash: string, secret: Secret): string {
  return hmac(hash, secret);
}

function hmac(hash: string, secret: Secret): string {
  return createHmac('sha256', secret).update(hash).digest('hex');
}
