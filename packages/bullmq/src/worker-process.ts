// [worker process] Takes chunk jobs from a queue and runs them on a local closure-pool (the same
// worker threads as core). A payload is fetched once per hash and checked (shape, hash, signature)
// here, before any thread sees it; a job whose envelope fails its check is refused and reported,
// never decoded, never run.
import { createLocalExecutor } from '@closure-pool/core';
import {
  BoundedCache,
  checkSecret,
  PayloadError,
  parsePayload,
  type Secret,
} from '@closure-pool/serializer';
import { type ConnectionOptions, Worker } from 'bullmq';
import {
  type ChunkJob,
  type ChunkResult,
  jobItems,
  MISSING_PAYLOAD,
  openJob,
  payloadKey,
  sealReply,
} from './envelope.js';

export interface WorkerProcessOptions {
  readonly connection: ConnectionOptions;
  readonly queue: string;
  /**
   * The secret shared with the pool (at least 32 bytes); or several, newest first, while a
   * cluster rotates its secret: a job signed with any of them is accepted, and answered with it.
   */
  readonly secret: Secret | readonly Secret[];
  /** Local worker threads. */
  readonly threads: number;
  /** How long a job's lock lasts without renewal (ms); a dead worker's jobs are recovered after it. */
  readonly lockDuration?: number;
  /** How often stalled jobs are looked for (ms). */
  readonly stalledInterval?: number;
  /**
   * How many times a job whose process died (its lock expired) is run again, by any worker,
   * before it fails (the caller then sees a WorkerCrashedError).
   * @default 2
   */
  readonly maxStalledCount?: number;
  /**
   * The largest job (its items) accepted, in bytes; a larger one is refused before it is decoded.
   * @default 64 MiB
   */
  readonly maxJobBytes?: number;
  /**
   * The largest payload (a closure and its captured values) fetched, in bytes; a larger one is
   * refused before it is decoded.
   * @default 256 MiB
   */
  readonly maxPayloadBytes?: number;
  /** Where refusals are reported. */
  readonly log?: (line: string) => void;
}

export async function startWorkerProcess(
  options: WorkerProcessOptions,
): Promise<{ close(): Promise<void> }> {
  const keys: readonly Secret[] = Array.isArray(options.secret)
    ? options.secret
    : [options.secret as Secret];
  if (keys.length === 0) checkSecret(undefined, 'secret');
  keys.forEach((key, i) => {
    checkSecret(key, keys.length > 1 ? `secret[${i}]` : 'secret');
  });
  const local = createLocalExecutor({ threads: options.threads });
  // payloads this process has fetched, by hash: bounded, since a worker may run for weeks
  const payloads = new BoundedCache<string, Uint8Array>(64, 512 * 1024 * 1024);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // errors a function left behind after its job's reply: the caller has its results, so they are logged here
  local.onStray(({ kind, error }) =>
    log(
      `closure-pool-worker: a function left an error behind (${kind}): ${error.name}: ${error.message}`,
    ),
  );

  /** The payload a job names: fetched once per hash, its hash and shape checked before any thread sees it. */
  async function payloadFrame(
    hash: string,
    client: Awaited<Worker['client']>,
  ): Promise<Uint8Array> {
    const known = payloads.get(hash);
    if (known) return known;
    const text = await client.get(payloadKey(options.queue, hash));
    if (text === null)
      throw new PayloadError(`${MISSING_PAYLOAD}${hash} in Redis (expired, or never stored).`, {
        field: 'hash',
      });
    const maxBytes = options.maxPayloadBytes ?? 256 * 1024 * 1024;
    if (text.length > (maxBytes * 4) / 3 + 4)
      throw new PayloadError(
        `Refused: the payload ${hash} is larger than maxPayloadBytes (${maxBytes} bytes). Nothing from it was run.`,
        { field: 'hash' },
      );
    const decoded = Buffer.from(text, 'base64');
    const frame = new Uint8Array(new SharedArrayBuffer(decoded.byteLength));
    frame.set(decoded);
    parsePayload(frame, { hash });
    payloads.set(hash, frame, frame.byteLength);
    return frame;
  }

  const worker: Worker<unknown, ChunkResult> = new Worker<unknown, ChunkResult>(
    options.queue,
    async (job) => {
      let opened: ReturnType<typeof openJob>;
      try {
        // every job's envelope is checked, even one naming a payload this process already holds,
        // and before anything of it is decoded
        opened = openJob(job.data, {
          queue: options.queue,
          jobId: job.id,
          keys,
          maxBytes: options.maxJobBytes ?? 64 * 1024 * 1024,
        });
      } catch (error) {
        log(`closure-pool-worker: refused job ${job.id}: ${(error as Error).message}`);
        // answered with the newest key: a caller holding it learns why; no other can read it as a result
        const jobId =
          typeof (job.data as ChunkJob)?.jobId === 'string'
            ? (job.data as ChunkJob).jobId
            : String(job.id);
        const signature = String((job.data as ChunkJob)?.signature ?? '');
        return sealReply({ jobId, signature }, keys[0]!, { refusal: (error as Error).message });
      }
      const { job: data, key } = opened;
      let items: unknown[];
      let frame: Uint8Array;
      try {
        items = jobItems(data);
        frame = await payloadFrame(data.hash, await worker.client);
      } catch (error) {
        log(`closure-pool-worker: refused job ${job.id}: ${(error as Error).message}`);
        return sealReply(data, key, { refusal: (error as Error).message });
      }
      // a thread that dies here fails the job, and BullMQ's recovery or the caller takes it from there
      const reply = await local.run({
        payload: { id: data.hash, frame },
        mode: data.mode,
        start: data.start,
        items,
        slot: 0,
        stopOnError: false,
      });
      return sealReply(data, key, { reply });
    },
    {
      connection: options.connection,
      concurrency: options.threads * 2,
      maxStalledCount: options.maxStalledCount ?? 2,
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
