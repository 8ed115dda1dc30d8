// [main] A ClosurePool executor that sends chunks as BullMQ jobs to `closure-pool-worker` processes.
import { randomUUID } from 'node:crypto';
import { deserialize } from 'node:v8';
import {
  type ChunkReply,
  type ChunkTask,
  type Executor,
  ExecutorUnavailableError,
  WORKER_PROCESS_LOST,
} from '@closure-pool/core';
import { checkSecret, hashFrame, type Secret } from '@closure-pool/serializer';
import { type ConnectionOptions, Job, Queue, QueueEvents } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { checkBackendOptions } from './backend-options.js';
import {
  type ChunkJob,
  encodeItems,
  failedChunk,
  isMissingPayload,
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
   * How long a payload is kept in Redis, in seconds. One that is gone (expired, flushed, Redis
   * restarted) when a worker asks for it is stored again and its job sent again.
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
  /**
   * Longest time Redis may stay unreachable, in milliseconds. Past it the call fails with an
   * `ExecutorUnavailableError` naming the server; back within it, the call carries on. `close()`
   * returns within it too.
   * @default 10_000
   */
  readonly redisTimeout?: number;
  /**
   * Longest time jobs may wait while no `closure-pool-worker` is connected to the queue, in
   * milliseconds; past it the call fails with an `ExecutorUnavailableError` saying so.
   * @default 30_000
   */
  readonly workerTimeout?: number;
  /**
   * How often the jobs in flight are looked at in Redis, in milliseconds: a job whose result the
   * events missed, a job lost with Redis's data (sent again), Redis or the workers gone.
   * @default 1_000
   */
  readonly checkInterval?: number;
}

/** `new ClosurePool({ executor: bullmqBackend({ connection, queue, secret }) })`. */
export function bullmqBackend(options: BullmqBackendOptions): Executor {
  return new BullmqExecutor(options);
}

/** How often a job lost with Redis's data, or missing its payload, is sent again. */
const maxResends = 5;

/** A job the backend waits for: settled by its event, or by the periodic check, whichever first. */
interface InFlight {
  readonly jobId: string;
  settle(outcome: Settled): void;
}
type Settled =
  | { kind: 'finished'; result: unknown }
  | { kind: 'failed'; error: unknown }
  | { kind: 'lost' };

class BullmqExecutor implements Executor {
  readonly concurrency: number;
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  private readonly connections: Redis[];
  /** Payloads stored in Redis, by hash, with when: stored again past half their TTL. */
  private readonly stored = new Map<string, number>();
  private readonly inFlight = new Map<string, InFlight>();
  private readonly redisTimeout: number;
  private readonly where: string;
  private checker: NodeJS.Timeout | undefined;
  private checking = false;
  private redisDownSince: number | undefined;
  private noWorkersSince: number | undefined;
  private closed = false;

  constructor(private readonly options: BullmqBackendOptions) {
    checkBackendOptions(options);
    checkSecret(options.secret, 'secret');
    this.concurrency = options.concurrency ?? 8;
    this.redisTimeout = options.redisTimeout ?? 10_000;
    // connections of our own, which close() can drop at once when Redis is unreachable (BullMQ's
    // own close waits for Redis); a connection the caller made is theirs: it is only duplicated
    const given = options.connection instanceof Redis ? options.connection : undefined;
    const { host = '127.0.0.1', port = 6379 } = (given?.options ?? options.connection) as {
      host?: string;
      port?: number;
    };
    this.where = `${host}:${port}`;
    const connect = (lazyConnect = false) =>
      given
        ? given.duplicate({ lazyConnect })
        : new Redis({
            ...(options.connection as RedisOptions),
            maxRetriesPerRequest: null,
            lazyConnect,
          });
    const [queueConnection, eventsConnection] = [connect(), connect()];
    // QueueEvents makes its blocking connection with duplicate(): handed this one, it makes ours
    const handle = connect(true);
    handle.duplicate = () => eventsConnection;
    this.connections = [queueConnection, eventsConnection, handle];
    for (const connection of this.connections) connection.on('error', () => {});
    this.queue = new Queue(options.queue, { connection: queueConnection });
    this.events = new QueueEvents(options.queue, { connection: handle });
    // a connection error is retried by ioredis; how long it may last is this backend's to judge
    this.queue.on('error', () => {});
    this.events.on('error', () => {});
    // one listener for every job in flight (BullMQ's waitUntilFinished adds two per job, and
    // leaves them behind for a job that vanished)
    this.events.on('completed', ({ jobId, returnvalue }) =>
      this.inFlight.get(jobId)?.settle({ kind: 'finished', result: returnvalue }),
    );
    this.events.on('failed', ({ jobId, failedReason }) =>
      this.inFlight.get(jobId)?.settle({ kind: 'failed', error: new Error(failedReason) }),
    );
  }

  async run(task: ChunkTask, signal?: AbortSignal): Promise<ChunkReply | Uint8Array> {
    const hash = hashFrame(task.payload.frame);
    for (let sent = 1; ; sent++) {
      const outcome = await this.runOnce(task, hash, signal);
      if (outcome.kind === 'reply') return outcome.reply;
      // the job, or its payload, is gone from Redis (expired, flushed, a restart): store and send again
      this.stored.delete(hash);
      if (sent >= maxResends)
        throw new ExecutorUnavailableError(
          `A job of queue ${this.options.queue} was lost ${sent} times (${outcome.why}): Redis at ${this.where} keeps losing its data.`,
        );
    }
  }

  private async runOnce(
    task: ChunkTask,
    hash: string,
    signal: AbortSignal | undefined,
  ): Promise<{ kind: 'reply'; reply: ChunkReply } | { kind: 'again'; why: string }> {
    if (signal?.aborted) throw signal.reason;
    await this.bounded(this.events.waitUntilReady(), 'connecting');
    const storedAt = this.stored.get(hash);
    const ttl = this.options.payloadTtl ?? 86_400;
    if (storedAt === undefined || Date.now() - storedAt > (ttl * 1000) / 2) {
      const client = await this.bounded(this.queue.client, 'connecting');
      // the frame as base64 text: BullMQ's connection is read as strings on the worker side
      const text = Buffer.from(task.payload.frame).toString('base64');
      await this.bounded(
        client.set(payloadKey(this.options.queue, hash), text, { EX: ttl }),
        'storing the payload',
      );
      this.stored.set(hash, Date.now());
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
    // waited for before it exists: a job done before `add` returned is not missed
    const outcome = this.expect(jobId, signal);
    try {
      await this.bounded(
        this.queue.add('chunk', data, {
          jobId,
          attempts: 1,
          removeOnComplete: { age: 300 },
          removeOnFail: { age: 3600 },
        }),
        'adding a job',
      );
    } catch (error) {
      this.inFlight.get(jobId)?.settle({ kind: 'failed', error });
    }
    this.watch();
    const settled = await outcome;
    if (settled.kind === 'lost') return { kind: 'again', why: 'it vanished from Redis' };
    if (settled.kind === 'failed') throw failureOf(settled.error);
    const reply = this.read(settled.result, data, task.items.length);
    if ('missingPayload' in reply) return { kind: 'again', why: 'its payload was gone' };
    return { kind: 'reply', reply };
  }

  /**
   * The job's outcome: from the queue's events (one listener for all jobs, see the constructor), or
   * found by the periodic check (events can be missed, as when Redis restarts).
   */
  private expect(jobId: string, signal: AbortSignal | undefined): Promise<Settled> {
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (outcome: Settled | { kind: 'aborted' }) => {
        if (done) return;
        done = true;
        this.inFlight.delete(jobId);
        signal?.removeEventListener('abort', onAbort);
        if (outcome.kind === 'aborted') reject(signal!.reason);
        else resolve(outcome);
      };
      const onAbort = () => {
        // a job still waiting is removed; one already running finishes on its worker, unread
        void this.queue.remove(jobId).catch(() => {});
        finish({ kind: 'aborted' });
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.inFlight.set(jobId, { jobId, settle: finish });
    });
  }

  /** Starts the periodic check while jobs are in flight. */
  private watch(): void {
    if (this.checker) return;
    this.checker = setInterval(() => void this.check(), this.options.checkInterval ?? 1_000);
    this.checker.unref();
  }

  /** Looks at Redis for what events cannot tell: Redis or every worker gone, jobs lost or missed. */
  private async check(): Promise<void> {
    if (this.checking) return;
    if (this.inFlight.size === 0) {
      clearInterval(this.checker);
      this.checker = undefined;
      this.redisDownSince = this.noWorkersSince = undefined;
      return;
    }
    this.checking = true;
    const now = Date.now();
    try {
      const workers = await this.bounded(this.queue.getWorkersCount(), 'counting workers');
      this.redisDownSince = undefined;
      if (workers > 0) this.noWorkersSince = undefined;
      else {
        this.noWorkersSince ??= now;
        const workerTimeout = this.options.workerTimeout ?? 30_000;
        if (now - this.noWorkersSince >= workerTimeout)
          return this.failAll(
            new ExecutorUnavailableError(
              `No closure-pool-worker has been connected to queue ${this.options.queue} at Redis ${this.where} for ${workerTimeout} ms (workerTimeout): start one with \`closure-pool-worker --queue ${this.options.queue}\`. The jobs of this call were left in the queue.`,
            ),
          );
      }
      for (const flight of [...this.inFlight.values()]) await this.recheck(flight);
    } catch (error) {
      // closing: the connections went away under the check, which nobody waits for
      if (this.closed) return;
      // a Redis error (`Connection is closed`, ECONNREFUSED) is Redis unavailable, like no answer
      this.redisDownSince ??= now;
      if (now - this.redisDownSince >= this.redisTimeout)
        this.failAll(
          error instanceof ExecutorUnavailableError
            ? error
            : new ExecutorUnavailableError(
                `Redis at ${this.where} failed while checking queue ${this.options.queue}: ${(error as Error)?.message}. Is redis-server running and reachable?`,
                { cause: error },
              ),
        );
    } finally {
      this.checking = false;
    }
  }

  private async recheck(flight: InFlight): Promise<void> {
    const state = await this.bounded(this.queue.getJobState(flight.jobId), 'reading a job');
    if (state === 'unknown') return flight.settle({ kind: 'lost' });
    if (state !== 'completed' && state !== 'failed') return;
    const job = await this.bounded(Job.fromId(this.queue, flight.jobId), 'reading a job');
    if (!job) return flight.settle({ kind: 'lost' });
    if (state === 'completed') flight.settle({ kind: 'finished', result: job.returnvalue });
    else flight.settle({ kind: 'failed', error: new Error(job.failedReason) });
  }

  private failAll(error: unknown): void {
    for (const flight of [...this.inFlight.values()]) flight.settle({ kind: 'failed', error });
  }

  /** `promise`, or an ExecutorUnavailableError naming Redis when it takes longer than redisTimeout. */
  private bounded<T>(promise: Promise<T>, doing: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new ExecutorUnavailableError(
              `Redis at ${this.where} did not answer within ${this.redisTimeout} ms (redisTimeout) while ${doing} for queue ${this.options.queue}. Is redis-server running and reachable?`,
            ),
          ),
        this.redisTimeout,
      );
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /**
   * A reply, checked before anything of it is decoded. One that fails a check fails the chunk's
   * items with a PayloadError: a forged or garbled reply never reaches the caller as a result.
   */
  private read(
    reply: unknown,
    job: ChunkJob,
    count: number,
  ): ChunkReply | { missingPayload: true } {
    try {
      const opened = openReply(reply, {
        job,
        secret: this.options.secret,
        maxBytes: this.options.maxReplyBytes ?? 64 * 1024 * 1024,
      });
      if ('refusal' in opened) {
        if (isMissingPayload(opened.refusal)) return { missingPayload: true };
        return failedChunk(count, { message: opened.refusal });
      }
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

  /** Closes the connections; within redisTimeout even when Redis is unreachable. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.checker);
    try {
      await this.bounded(
        Promise.all([this.queue.close(), this.events.close()]).then(() => {}),
        'closing',
      );
    } catch {
      // Redis unreachable: the connections are dropped below instead of waited for
    }
    for (const connection of this.connections) connection.disconnect();
  }

  async destroy(): Promise<void> {
    this.failAll(new Error('The BullMQ backend was destroyed.'));
    await this.close();
  }
}

/** A failed job as the pool sees it: a worker process that died is a crashed worker. */
function failureOf(error: unknown): unknown {
  if (error instanceof ExecutorUnavailableError) return error;
  const message = String((error as Error)?.message ?? error);
  if (/stalled more than allowable limit/.test(message)) {
    return Object.assign(
      new Error(
        "its worker process stopped while running it, every time it was run (killed, out of memory, or ended by the function); BullMQ gave up after the workers' max-stalled count",
      ),
      { code: WORKER_PROCESS_LOST },
    );
  }
  return error;
}
