// [worker process] Takes chunk jobs from a queue and runs them on a local closure-pool (the same
// worker threads as core). A payload is fetched once per hash and checked (shape, hash, signature)
// here, before any thread sees it; a job that fails the check is refused and reported, never run.
import { type ChunkReply, type ChunkTask, createLocalExecutor } from '@closure-pool/core';
import {
  BoundedCache,
  PayloadError,
  parsePayload,
  type Secret,
  verifySignature,
} from '@closure-pool/serializer';
import { type ConnectionOptions, type Job, Worker } from 'bullmq';
import { type ChunkJob, decodeValue, encodeReply, payloadKey } from './job.js';

export interface WorkerProcessOptions {
  readonly connection: ConnectionOptions;
  readonly queue: string;
  readonly secret: Secret;
  /** Local worker threads. */
  readonly threads: number;
  /** How long a job's lock lasts without renewal (ms); a dead worker's jobs are recovered after it. */
  readonly lockDuration?: number;
  /** How often stalled jobs are looked for (ms). */
  readonly stalledInterval?: number;
  /** Where refusals are reported. */
  readonly log?: (line: string) => void;
}

export async function startWorkerProcess(
  options: WorkerProcessOptions,
): Promise<{ close(): Promise<void> }> {
  const local = createLocalExecutor({ threads: options.threads });
  // payloads this process has fetched, by hash: bounded, since a worker may run for weeks
  const payloads = new BoundedCache<string, Uint8Array>(64, 256 * 1024 * 1024);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));

  async function payloadBytes(
    job: Job<ChunkJob>,
    client: Awaited<Worker['client']>,
  ): Promise<Uint8Array> {
    const { hash, signature } = job.data;
    // every job's signature is checked, even for a payload this process already holds
    verifySignature({ hash, signature } as Parameters<typeof verifySignature>[0], options.secret);
    const known = payloads.get(hash);
    if (known) return known;
    const text = await client.get(payloadKey(options.queue, hash));
    if (text === null)
      throw new PayloadError(`No payload ${hash} in Redis (expired, or never stored).`, {
        field: 'hash',
      });
    const decoded = Buffer.from(text, 'base64');
    const frame = new Uint8Array(new SharedArrayBuffer(decoded.byteLength));
    frame.set(decoded);
    // hash and shape checked here, before any thread sees the frame
    parsePayload(frame, { hash });
    payloads.set(hash, frame, frame.byteLength);
    return frame;
  }

  const worker: Worker<ChunkJob, string> = new Worker<ChunkJob, string>(
    options.queue,
    async (job) => {
      const items = decodeValue<unknown[]>(job.data.items);
      let frame: Uint8Array;
      try {
        frame = await payloadBytes(job, await worker.client);
      } catch (error) {
        log(`closure-pool-worker: refused job ${job.id}: ${(error as Error).message}`);
        return encodeReply(refusal(items, error));
      }
      const task: ChunkTask = {
        payload: { id: job.data.hash, frame },
        mode: job.data.mode,
        start: job.data.start,
        items,
        slot: 0,
        stopOnError: false,
      };
      return encodeReply(await local.run(task));
    },
    {
      connection: options.connection,
      concurrency: options.threads * 2,
      ...(options.lockDuration ? { lockDuration: options.lockDuration } : {}),
      ...(options.stalledInterval ? { stalledInterval: options.stalledInterval } : {}),
    },
  );
  await worker.waitUntilReady();
  return {
    async close() {
      await worker.close();
      await local.close();
    },
  };
}

/** Every item of the job fails with the refusal, as the local worker does with a bad payload. */
function refusal(items: unknown[], error: unknown): ChunkReply {
  const record = {
    kind: 'error' as const,
    name: (error as Error).name ?? 'Error',
    message: (error as Error).message ?? String(error),
    stack: (error as Error).stack,
    props: { code: (error as { code?: string }).code, field: (error as { field?: string }).field },
  };
  return {
    done: items.length,
    values: items.map(() => undefined),
    errors: items.map((_, i) => [i, record]),
    elapsedMs: 0,
  };
}
