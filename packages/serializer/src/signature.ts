// Authenticating a payload that crosses a process or machine boundary: an HMAC-SHA256, with a
// secret both sides share, over the payload's content hash (which covers everything else).
import { ClosurePoolError, ErrorCode, PayloadError } from './errors.js';
import { crypto } from './node-require.js';
import type { Payload } from './payload.js';

export type Secret = string | Buffer;

/** The shortest secret accepted: an HMAC key shorter than its hash's block gives away strength. */
export const MIN_SECRET_BYTES = 32;

/**
 * Throws unless `secret` is a string or Buffer of at least 32 bytes: an empty or short key is one
 * anyone can guess, and with it run code on every worker. `option` names where it was given.
 */
export function checkSecret(secret: unknown, option: string): asserts secret is Secret {
  const bytes =
    typeof secret === 'string'
      ? Buffer.byteLength(secret)
      : Buffer.isBuffer(secret)
        ? secret.byteLength
        : undefined;
  if (bytes === undefined || bytes < MIN_SECRET_BYTES) {
    const got =
      bytes === undefined ? (secret === undefined ? 'nothing' : typeof secret) : `${bytes} bytes`;
    throw new ClosurePoolError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected \`${option}\` to be a secret of at least ${MIN_SECRET_BYTES} bytes (a string or Buffer), got ${got}. ` +
        "Generate one with `node -e \"console.log(require('crypto').randomBytes(32).toString('base64'))\"` and give the same to the pool and its workers.",
    );
  }
}

/** The payload with its `signature`. */
export function signPayload(payload: Payload, secret: Secret): Payload {
  checkSecret(secret, 'secret');
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
  if (given.length !== expected.length || !crypto().timingSafeEqual(given, expected)) {
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
  checkSecret(secret, 'secret');
  return hmac(hash, secret);
}

function hmac(hash: string, secret: Secret): string {
  return crypto().createHmac('sha256', secret).update(hash).digest('hex');
}
