// [main] A ClosurePool executor that sends chunks as BullMQ jobs to `closure-pool-worker` processes.
import { randomUUID } from 'node:crypto';
import type { ChunkReply, ChunkTask, Executor } from '@closure-pool/core';
import { hashFrame, type Secret, signatureFor } from '@closure-pool/serializer';
import { type ConnectionOptions, Queue, QueueEvents } from 'bullmq';
import { type ChunkJob, encodeValue, payloadKey } from './job.js';

export interface BullmqBackendOptions {
  /** The Redis server, as BullMQ takes it: `{ host, port }` or ioredis options. */
  readonly connection: ConnectionOptions;
  /** The queue's name; the workers are started with the same one. */
  readonly queue: string;
  /** The secret shared with the workers: every payload is signed with it. */
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
    this.concurrency = options.concurrency ?? 8;
    this.queue = new Queue(options.queue, { connection: options.connection });
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
    const data: ChunkJob = {
      hash,
      signature: signatureFor(hash, this.options.secret),
      mode: task.mode,
      start: task.start,
      items: encodeValue(task.items),
    };
    // one attempt: a job is run again only when its worker died (BullMQ's stalled-job recovery),
    // never because the function threw (that is in the reply, not a failed job)
    const job = await this.queue.add('chunk', data, {
      jobId: randomUUID(),
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
        (reply: string) => settle(() => resolve(Buffer.from(reply, 'base64'))),
        (error: unknown) => fail(error),
      );
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.queue.close(), this.events.close()]);
  }

  async destroy(): Promise<void> {
    for (const fail of [...this.pending]) fail(new Error('The BullMQ backend was destroyed.'));
    await this.close();
  }
}
