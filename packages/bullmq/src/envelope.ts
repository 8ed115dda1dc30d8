// [both sides of the queue] What a job and its reply carry, each signed as a whole: the job's
// envelope binds the payload's hash, the items' bytes, the call mode, the start index, the queue,
// the job id and an expiry; the reply binds its bytes to the job it answers. Each side checks the
// other's signature, in constant time, before it decodes anything the other sent.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import type { ChunkReply } from '@closure-pool/core';
import { ErrorCode, PayloadError, type Secret } from '@closure-pool/serializer';

/** A job as it sits in Redis. */
export interface ChunkJob {
  readonly v: 1;
  readonly queue: string;
  readonly jobId: string;
  /** Milliseconds since the epoch after which a worker refuses the job. */
  readonly expires: number;
  /** sha256 of the payload's frame, stored in Redis under this hash. */
  readonly hash: string;
  readonly mode: 'item' | 'spread';
  readonly start: number;
  /** `v8.serialize(items)`, base64. */
  readonly items: string;
  /** HMAC-SHA256 of all the above, hex. */
  readonly signature: string;
}

/** A job's reply, as BullMQ returns it to the caller. */
export interface ChunkResult {
  readonly v: 1;
  readonly jobId: string;
  /** The signature of the job this answers. */
  readonly envelope: string;
  /** `v8.serialize(reply)`, base64; or, when the worker refused the job, why. */
  readonly body?: string;
  readonly refusal?: string;
  /** HMAC-SHA256 of all the above, hex. */
  readonly signature: string;
}

export type JobFields = Omit<ChunkJob, 'v' | 'signature'>;

export const payloadKey = (queue: string, hash: string) => `closure-pool:${queue}:payload:${hash}`;

export function sealJob(fields: JobFields, secret: Secret): ChunkJob {
  return { v: 1, ...fields, signature: hmac(secret, jobText(fields)) };
}

/**
 * Checks a job taken from the queue: its shape, that it was signed with one of `keys` (newest
 * first, for rotation), that it is for this queue and this job id, and that it has not expired.
 * Returns the job and the key that signed it; throws PayloadError naming what is wrong. Nothing
 * of the job is decoded before it passes.
 */
export function openJob(
  data: unknown,
  expect: { queue: string; jobId: string | undefined; keys: readonly Secret[]; maxBytes: number },
): { job: ChunkJob; key: Secret } {
  const job = data as ChunkJob;
  if (data === null || typeof data !== 'object') throw refusal('job', 'is not an object');
  field(job.v === 1, 'v', 'is not 1 (a job from another version of closure-pool)');
  for (const name of ['queue', 'jobId', 'hash', 'items', 'signature'] as const)
    field(typeof job[name] === 'string', name, 'is not a string');
  field(/^[0-9a-f]{64}$/.test(job.hash), 'hash', 'is not a sha256 hex digest');
  field(/^[0-9a-f]{64}$/.test(job.signature), 'signature', 'is not an HMAC-SHA256 hex digest');
  field(job.mode === 'item' || job.mode === 'spread', 'mode', 'is not item or spread');
  field(Number.isSafeInteger(job.start) && job.start >= 0, 'start', 'is not an index');
  field(Number.isSafeInteger(job.expires), 'expires', 'is not a time');
  field(job.items.length <= (expect.maxBytes * 4) / 3 + 4, 'items', 'is larger than the limit');
  const text = jobText(job);
  const key = expect.keys.find((k) => sameHex(job.signature, hmac(k, text)));
  if (key === undefined)
    throw refusal('signature', 'does not match: it was altered, or signed with another secret');
  field(job.queue === expect.queue, 'queue', `names another queue (${job.queue.slice(0, 100)})`);
  field(job.jobId === expect.jobId, 'jobId', 'is not the id of the job that carries it (replayed)');
  field(job.expires > Date.now(), 'expires', 'has passed: the job expired before it ran');
  return { job, key };
}

/** The items of a job that `openJob` accepted. */
export function jobItems(job: ChunkJob): unknown[] {
  const items = deserialize(Buffer.from(job.items, 'base64'));
  if (!Array.isArray(items)) throw refusal('items', 'is not a list');
  return items;
}

export function encodeItems(items: readonly unknown[]): string {
  return serialize(items).toString('base64');
}

/** The reply to `job`, signed with the key that signed the job. */
export function sealReply(
  job: Pick<ChunkJob, 'jobId' | 'signature'>,
  key: Secret,
  outcome: { reply: ChunkReply | Uint8Array } | { refusal: string },
): ChunkResult {
  const fields =
    'refusal' in outcome
      ? { jobId: job.jobId, envelope: job.signature, refusal: outcome.refusal }
      : {
          jobId: job.jobId,
          envelope: job.signature,
          body: Buffer.from(
            outcome.reply instanceof Uint8Array ? outcome.reply : serialize(outcome.reply),
          ).toString('base64'),
        };
  return { v: 1, ...fields, signature: hmac(key, replyText(fields)) };
}

/**
 * Checks a reply before decoding it: its size, its shape, its signature, and that it answers this
 * job. Returns what the worker sent back: the chunk's reply bytes, or why it refused the job.
 */
export function openReply(
  data: unknown,
  expect: { job: ChunkJob; secret: Secret; maxBytes: number },
): { bytes: Uint8Array } | { refusal: string } {
  const reply = data as ChunkResult;
  if (data === null || typeof data !== 'object') throw refusal('reply', 'is not an object');
  const size = typeof reply.body === 'string' ? reply.body.length : 0;
  if (size > (expect.maxBytes * 4) / 3 + 4)
    throw refusal('reply.body', `is larger than maxReplyBytes (${expect.maxBytes} bytes)`);
  field(reply.v === 1, 'reply.v', 'is not 1');
  for (const name of ['jobId', 'envelope', 'signature'] as const)
    field(typeof reply[name] === 'string', `reply.${name}`, 'is not a string');
  field(
    (typeof reply.body === 'string') !== (typeof reply.refusal === 'string'),
    'reply.body',
    'must be there, or a refusal, and not both',
  );
  if (!sameHex(reply.signature, hmac(expect.secret, replyText(reply))))
    throw refusal(
      'reply.signature',
      "does not match this pool's secret: the reply was forged, or the worker holds another secret",
    );
  field(reply.jobId === expect.job.jobId, 'reply.jobId', 'answers another job');
  field(reply.envelope === expect.job.signature, 'reply.envelope', 'answers another envelope');
  if (typeof reply.refusal === 'string') return { refusal: reply.refusal };
  return { bytes: Buffer.from(reply.body!, 'base64') };
}

/** A reply in which every item of a chunk fails with `error`, as a worker does with a bad payload. */
export function failedChunk(count: number, error: { name?: string; message: string }): ChunkReply {
  const record = {
    kind: 'error' as const,
    name: error.name ?? 'PayloadError',
    message: error.message,
    props: {
      code: (error as { code?: string }).code ?? ErrorCode.PAYLOAD_INVALID,
      field: (error as { field?: string }).field,
    },
  };
  return {
    done: count,
    values: Array.from({ length: count }, () => undefined),
    errors: Array.from({ length: count }, (_, i) => [i, record]),
    elapsedMs: 0,
  };
}

function jobText(f: JobFields): string {
  const itemsHash = createHash('sha256').update(f.items).digest('hex');
  return JSON.stringify([
    'closure-pool/job/v1',
    f.queue,
    f.jobId,
    f.expires,
    f.hash,
    f.mode,
    f.start,
    itemsHash,
  ]);
}

function replyText(r: Pick<ChunkResult, 'jobId' | 'envelope' | 'body' | 'refusal'>): string {
  const bodyHash =
    typeof r.body === 'string' ? createHash('sha256').update(r.body).digest('hex') : null;
  return JSON.stringify([
    'closure-pool/reply/v1',
    r.jobId,
    r.envelope,
    bodyHash,
    r.refusal ?? null,
  ]);
}

function hmac(key: Secret, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

/** Constant-time comparison of two hex digests. */
function sameHex(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'hex');
  const b = Buffer.from(expected, 'hex');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

function field(ok: boolean, name: string, what: string): void {
  if (!ok) throw refusal(name, what);
}

function refusal(name: string, what: string): PayloadError {
  return new PayloadError(`Refused: the ${name} ${what}. Nothing from it was run.`, {
    field: name,
  });
}

/** The start of a worker's refusal for a payload it cannot find in Redis (expired, flushed, lost). */
export const MISSING_PAYLOAD = 'No payload ';

/** Whether a refusal says the payload was missing: the caller then stores it again and resends. */
export function isMissingPayload(refusal: string): boolean {
  return refusal.startsWith(MISSING_PAYLOAD);
}
