// The cluster path tried as an attacker would, with a real Redis: someone who can write to Redis
// (forged, tampered or replayed jobs, a tampered payload), and a rogue consumer on the queue
// (forged or oversized replies). Every attempt is refused with the documented error, nothing it
// carries runs (a marker file the function would write stays absent), and no process crashes.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClosurePool, closure, moduleRef, TaskError } from '@closure-pool/core';
import { encodeClosure, hashFrame } from '@closure-pool/serializer';
import { type Job, Queue, QueueEvents, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullmqBackend } from './backend.js';
import { type ChunkJob, type ChunkResult, encodeItems, payloadKey, sealJob } from './envelope.js';
import { redisAvailable, startRedis, startWorker } from './local-cluster.js';
import { startWorkerProcess } from './worker-process.js';

const hasRedis = redisAvailable();
const secret = 'the cluster secret, 32 bytes or longer';
const queue = 'attacks';

/** A function that leaves a mark: a file written where the test looks. */
function marking(file: string) {
  const fs = moduleRef<typeof import('node:fs')>('node:fs');
  return closure(
    (x: number) => {
      fs.writeFileSync(file, 'ran');
      return x;
    },
    { fs, file },
  );
}

describe.skipIf(!hasRedis)('attacks on the cluster path', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let worker: ChildProcess;
  const stderr: string[] = [];
  const connection = () => ({ host: '127.0.0.1', port: redis.port });
  const dir = mkdtempSync(join(tmpdir(), 'closure-pool-attacks-'));
  let queueHandle: Queue;
  let events: QueueEvents;

  beforeAll(async () => {
    redis = await startRedis();
    worker = await startWorker(redis.port, queue, secret);
    worker.stderr!.on('data', (chunk: Buffer) => stderr.push(String(chunk)));
    queueHandle = new Queue(queue, { connection: connection() });
    events = new QueueEvents(queue, { connection: connection() });
    await events.waitUntilReady();
  });

  afterAll(async () => {
    await queueHandle?.close();
    await events?.close();
    worker?.kill('SIGKILL');
    redis?.stop();
  });

  /** Stores the payload of `fn` as the pool would, and returns a job for it, sealed with `key`. */
  async function validJob(file: string, fields: Partial<ChunkJob> = {}, key = secret) {
    const { frame } = encodeClosure(marking(file));
    const hash = hashFrame(frame);
    const client = await queueHandle.client;
    await client.set(payloadKey(queue, hash), Buffer.from(frame).toString('base64'));
    const jobId = fields.jobId ?? `job-${Math.random().toString(36).slice(2)}`;
    return sealJob(
      {
        queue,
        jobId,
        expires: Date.now() + 60_000,
        hash,
        mode: 'item',
        start: 0,
        items: encodeItems([1]),
        ...fields,
      },
      key,
    );
  }

  /** Adds raw job data as an attacker with Redis write access would, and waits for its reply. */
  async function inject(data: unknown, jobId: string): Promise<ChunkResult> {
    const job = await queueHandle.add('chunk', data, { jobId, attempts: 1 });
    return (await job.waitUntilFinished(events, 10_000)) as ChunkResult;
  }

  it.each<[string, (job: ChunkJob) => unknown]>([
    ['tampered items', (job) => ({ ...job, items: encodeItems([2]) })],
    ['a tampered start index', (job) => ({ ...job, start: 5 })],
    ['a tampered mode', (job) => ({ ...job, mode: 'spread' })],
    ['a re-pointed payload hash', (job) => ({ ...job, hash: 'f'.repeat(64) })],
    ['no signature', ({ signature: _, ...job }) => job],
    ['a signature of garbage', (job) => ({ ...job, signature: 'zz' })],
    ['garbage items', (job) => ({ ...job, items: '%%%not base64%%%' })],
    ['a wrong version', (job) => ({ ...job, v: 2 })],
    ['a queue that is not a string', (job) => ({ ...job, queue: 42 })],
    ['a job id that is not a string', (job) => ({ ...job, jobId: null })],
    ['an expiry that is not a time', (job) => ({ ...job, expires: 'soon' })],
    ['an expiry pushed later', (job) => ({ ...job, expires: job.expires + 1e9 })],
    ['not an object', () => 'garbage'],
  ])('a job with %s is refused before anything of it runs', async (_, tamper) => {
    const file = join(dir, `mark-${Math.random()}`);
    const job = await validJob(file);
    const reply = await inject(tamper(job), job.jobId);
    expect(reply.refusal).toMatch(/Refused: the \w+ .*Nothing from it was run/);
    expect(existsSync(file)).toBe(false);
  });

  it('a job signed with another secret is refused', async () => {
    const file = join(dir, 'other-secret');
    const job = await validJob(file, {}, 'a different secret, 32 bytes or longer');
    const reply = await inject(job, job.jobId);
    expect(reply.refusal).toMatch(/signature does not match/);
    expect(existsSync(file)).toBe(false);
    expect(stderr.join('')).toMatch(/refused job .*signature does not match/);
  });

  it('a valid envelope replayed under another job id is refused', async () => {
    const file = join(dir, 'replay-id');
    const job = await validJob(file);
    const reply = await inject(job, `${job.jobId}-again`);
    expect(reply.refusal).toMatch(/jobId is not the id of the job that carries it/);
    expect(existsSync(file)).toBe(false);
  });

  it('an expired envelope is refused', async () => {
    const file = join(dir, 'expired');
    const job = await validJob(file, { expires: Date.now() - 1 });
    const reply = await inject(job, job.jobId);
    expect(reply.refusal).toMatch(/expires has passed/);
    expect(existsSync(file)).toBe(false);
  });

  it('an envelope sealed for another queue is refused', async () => {
    const file = join(dir, 'other-queue');
    const job = await validJob(file, { queue: 'another-queue' });
    const reply = await inject(job, job.jobId);
    expect(reply.refusal).toMatch(/queue names another queue/);
    expect(existsSync(file)).toBe(false);
  });

  it('a tampered payload in Redis is refused by its hash', async () => {
    const file = join(dir, 'tampered-payload');
    const job = await validJob(file);
    const client = await queueHandle.client;
    const stored = Buffer.from((await client.get(payloadKey(queue, job.hash)))!, 'base64');
    stored.writeUInt8(stored.readUInt8(stored.length - 1) ^ 1, stored.length - 1);
    await client.set(payloadKey(queue, job.hash), stored.toString('base64'));
    const reply = await inject(job, job.jobId);
    expect(reply.refusal).toMatch(/hash does not match its content/);
    expect(existsSync(file)).toBe(false);
  });

  // issue 21: the checks run on the cached path too. The payload is one this worker has fetched
  // and run; a tampered job naming it is refused all the same, and the function does not run again
  it.each<[string, (job: ChunkJob) => unknown]>([
    ['tampered items', (job) => ({ ...job, items: encodeItems([2]) })],
    ['no signature', ({ signature: _, ...job }) => job],
    ['an expiry pushed later', (job) => ({ ...job, expires: job.expires + 1e9 })],
  ])(
    'a job with %s naming a payload the worker holds is refused; nothing runs',
    async (_, tamper) => {
      const file = join(dir, `cached-${Math.random()}`);
      const first = await validJob(file);
      expect((await inject(first, first.jobId)).body).toBeTypeOf('string');
      expect(existsSync(file)).toBe(true);
      rmSync(file);
      const again = await validJob(file); // the same payload (same hash), a new signed job
      expect(again.hash).toBe(first.hash);
      const reply = await inject(tamper(again), again.jobId);
      expect(reply.refusal).toMatch(/Refused: the \w+ .*Nothing from it was run/);
      expect(existsSync(file)).toBe(false);
    },
  );

  it('a valid job runs: the tests above are refusals, not a worker that runs nothing', async () => {
    const file = join(dir, 'valid');
    const job = await validJob(file);
    const reply = await inject(job, job.jobId);
    expect(reply.body).toBeTypeOf('string');
    expect(existsSync(file)).toBe(true);
  });
});

describe.skipIf(!hasRedis)('a rogue consumer on the queue', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  const connection = () => ({ host: '127.0.0.1', port: redis.port });
  const rogueQueue = 'rogue';
  let rogue: Worker | undefined;

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterAll(async () => {
    await rogue?.close();
    redis?.stop();
  });

  async function callWith(answer: (job: Job) => unknown, options: { maxReplyBytes?: number } = {}) {
    await rogue?.close();
    rogue = new Worker(rogueQueue, async (job) => answer(job), { connection: connection() });
    const pool = new ClosurePool({
      executor: bullmqBackend({ connection: connection(), queue: rogueQueue, secret, ...options }),
    });
    try {
      return await pool.map((x: number) => x * 2, [1, 2], { settle: true });
    } finally {
      await pool.close();
    }
  }

  const refusedWith = (results: PromiseSettledResult<number>[], message: RegExp) => {
    expect(results).toHaveLength(2);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const reason = (result as PromiseRejectedResult).reason as TaskError;
      expect(reason).toBeInstanceOf(TaskError);
      expect(reason.message).toMatch(message);
    }
  };

  it('a forged result, without the secret, fails the items; the caller does not take it', async () => {
    const results = await callWith((job) => ({
      v: 1,
      jobId: (job.data as ChunkJob).jobId,
      envelope: (job.data as ChunkJob).signature,
      body: Buffer.from('forged').toString('base64'),
      signature: '0'.repeat(64),
    }));
    refusedWith(results, /reply\.signature does not match this pool's secret/);
  });

  it('garbage for a reply fails the items; the calling process does not crash', async () => {
    refusedWith(await callWith(() => 'garbage'), /reply is not an object/);
    refusedWith(await callWith(() => ({ v: 1 })), /reply\.jobId is not a string/);
  });

  it('an oversized reply is refused before it is decoded', async () => {
    const results = await callWith(
      (job) => ({
        v: 1,
        jobId: (job.data as ChunkJob).jobId,
        envelope: (job.data as ChunkJob).signature,
        body: 'A'.repeat(4096),
        signature: '0'.repeat(64),
      }),
      { maxReplyBytes: 1024 },
    );
    refusedWith(results, /reply\.body is larger than maxReplyBytes \(1024 bytes\)/);
  });
});

describe.skipIf(!hasRedis)('rotating the secret', () => {
  it('a worker holding the new and the old secret serves pools with either', async () => {
    const redis = await startRedis();
    const [newer, older] = ['the new cluster secret, 32 bytes or more', secret];
    const worker = await startWorker(redis.port, 'rotation', [newer, older]);
    try {
      for (const key of [newer, older]) {
        const pool = new ClosurePool({
          executor: bullmqBackend({
            connection: { host: '127.0.0.1', port: redis.port },
            queue: 'rotation',
            secret: key,
          }),
        });
        expect(await pool.map((x: number) => x + 1, [1, 2])).toEqual([2, 3]);
        await pool.close();
      }
    } finally {
      worker.kill('SIGKILL');
      redis.stop();
    }
  });
});

describe('secrets', () => {
  it.each([
    ['empty', ''],
    ['short', 'short'],
    ['missing', undefined],
  ])(
    'an %s secret is refused at construction, on both sides, naming the option',
    async (_, bad) => {
      const message = /Expected `secret` to be a secret of at least 32 bytes/;
      expect(() =>
        bullmqBackend({ connection: {}, queue: 'q', secret: bad as unknown as string }),
      ).toThrow(message);
      await expect(
        startWorkerProcess({ connection: {}, queue: 'q', threads: 1, secret: bad as string }),
      ).rejects.toThrow(message);
    },
  );

  it('a worker given several secrets names the one that is too short', async () => {
    await expect(
      startWorkerProcess({ connection: {}, queue: 'q', threads: 1, secret: [secret, 'old'] }),
    ).rejects.toThrow(/Expected `secret\[1\]`/);
  });
});
