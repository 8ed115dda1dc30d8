// [main] A ClosurePool executor that sends chunks as BullMQ jobs to `closure-pool-worker` processes.
import { randomUUID } from 'node:crypto';
import { deserialize } from 'node:v8';
import type { ChunkReply, ChunkTask, Executor } from '@closure-pool/core';
import { checkSecret, hashFrame, type Secret } from '@closure-pool/serializer';
import { type ConnectionOptions, Queue, QueueEvents } from 'bullmq';
import {
  type ChunkJob,
  encodeItems,
  failedChunk,
  openReply,
  payloadKey,
  sealJob,
} from './envelope.js';

export interface BullmqBackendOptions {
  /** The Redis server, as BullMQ takes it: `{ host, port }` or ioredis options. */
  readonly connection: ConnectionOptions;
  /** The queue's name; the workers are started with the same one. */
  readonly queue: string;
  /** The secret shared with the workers (at least 32 bytes): every job is signed with it, and every reply checked. */
  readonly secret: Secret;
  /**
   * How many chunks may be queued or running at once (the pool's `threads`).
   * @default 8
   */
  readonly concurrency?: number;
  /**
   * How long a payload is kept in Redis, in seconds.
   * @default 86_400
   */
  readonly payloadTtl?: number;
  /**
   * How long a job may wait before a worker refuses it, in milliseconds: a job replayed later is refused.
   * @default 3_600_000 (an hour)
   */
  readonly jobTtl?: number;
  /**
   * The largest reply accepted, in bytes; a larger one fails its items before it is decoded.
   * @default 64 MiB
   */
  readonly maxReplyBytes?: number;
}

/** `new ClosurePool({ executor: bullmqBackend({ connection, queue, secret }) })`. */
export function bullmqBackend(options: BullmqBackendOptions): Executor {
  return new BullmqExecutor(options);
}

class BullmqExecutor implements Executor {
  readonly concurrency: number;
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  private readonly stored = new Set<string>();
  private readonly pending = new Set<(reason: unknown) => void>();

  constructor(private readonly options: BullmqBackendOptions) {
    checkSecret(options.secret, 'secret');
    this.concurrency = options.concurrency ?? 8;
    this.queue = new Queue(options.queue, { connection: options.connection });
    // each job awaited adds a 'closing' listener to the queue (BullMQ's waitUntilFinished), and a
    // pool keeps up to twice its concurrency of chunks in flight: not a leak
    this.queue.setMaxListeners(this.concurrency * 2 + 10);
    this.events = new QueueEvents(options.queue, { connection: options.connection });
  }

  async run(task: ChunkTask, signal?: AbortSignal): Promise<ChunkReply | Uint8Array> {
    const hash = hashFrame(task.payload.frame);
    await this.events.waitUntilReady();
    if (!this.stored.has(hash)) {
      const client = await this.queue.client;
      // the frame as base64 text: BullMQ's connection is read as strings on the worker side
      const text = Buffer.from(task.payload.frame).toString('base64');
      await client.set(payloadKey(this.options.queue, hash), text, {
        EX: this.options.payloadTtl ?? 86_400,
      });
      this.stored.add(hash);
    }
    const jobId = randomUUID();
    const data: ChunkJob = sealJob(
      {
        queue: this.options.queue,
        jobId,
        expires: Date.now() + (this.options.jobTtl ?? 3_600_000),
        hash,
        mode: task.mode,
        start: task.start,
        items: encodeItems(task.items),
      },
      this.options.secret,
    );
    // one attempt: a job is run again only when its worker died (BullMQ's stalled-job recovery),
    // never because the function threw (that is in the reply, not a failed job)
    const job = await this.queue.add('chunk', data, {
      jobId,
      attempts: 1,
      removeOnComplete: { age: 300 },
      removeOnFail: { age: 3600 },
    });
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        // a job still waiting is removed; one already running finishes on its worker, unread
        void job.remove().catch(() => {});
        settle(() => reject(signal!.reason));
      };
      const settle = (done: () => void) => {
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(fail);
        done();
      };
      const fail = (reason: unknown) => settle(() => reject(reason));
      this.pending.add(fail);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      job.waitUntilFinished(this.events).then(
        (reply: unknown) => settle(() => resolve(this.read(reply, data, task.items.length))),
        (error: unknown) => fail(error),
      );
    });
  }

  /**
   * A reply, checked before anything of it is decoded. One that fails a check fails the chunk's
   * items with a PayloadError: a forged or garbled reply never reaches the caller as a result.
   */
  private read(reply: unknown, job: ChunkJob, count: number): ChunkReply {
    try {
      const opened = openReply(reply, {
        job,
        secret: this.options.secret,
        maxBytes: this.options.maxReplyBytes ?? 64 * 1024 * 1024,
      });
      if ('refusal' in opened) return failedChunk(count, { message: opened.refusal });
      const decoded = deserialize(opened.bytes) as ChunkReply;
      const valid =
        decoded !== null &&
        typeof decoded === 'object' &&
        Number.isSafeInteger(decoded.done) &&
        decoded.done >= 0 &&
        decoded.done <= count &&
        Array.isArray(decoded.values) &&
        Array.isArray(decoded.errors) &&
        decoded.errors.every((e) => Array.isArray(e) && Number.isSafeInteger(e[0]));
      if (!valid) throw new Error('The reply is not a chunk reply.');
      return decoded;
    } catch (error) {
      return failedChunk(count, error as Error);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.queue.close(), this.events.close()]);
  }

  async destroy(): Promise<void> {
    for (const fail of [...this.pending]) fail(new Error('The BullMQ backend was destroyed.'));
    await this.close();
  }
}
