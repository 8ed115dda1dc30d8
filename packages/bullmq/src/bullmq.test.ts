import type { ChildProcess } from 'node:child_process';
import { ClosurePool, capture, TaskError } from '@closure-pool/core';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullmqBackend } from './backend.js';
import { redisAvailable, startRedis, startWorker } from './local-cluster.js';
import { waitFor } from './testing/wait-for.js';

// .ci/run installs Debian's redis-server; without it (a developer machine) these are skipped.
const hasRedis = redisAvailable();
if (!hasRedis && process.env.CI)
  throw new Error('redis-server is not installed: .ci/run should have installed it');

const secret = 'a test secret, at least 32 bytes long';
const queue = 'closure-pool-test';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!hasRedis)('a map on two worker processes through BullMQ and Redis', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let workers: ChildProcess[] = [];
  let pool: ClosurePool;
  const connection = () => ({ host: '127.0.0.1', port: redis.port });
  const stderr: string[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    workers = await Promise.all([
      startWorker(redis.port, queue, secret),
      startWorker(redis.port, queue, secret),
    ]);
    for (const w of workers) w.stderr!.on('data', (chunk: Buffer) => stderr.push(String(chunk)));
    pool = new ClosurePool({
      executor: bullmqBackend({ connection: connection(), queue, secret, concurrency: 4 }),
    });
  });

  afterAll(async () => {
    await pool?.close();
    for (const w of workers) w.kill('SIGKILL');
    redis?.stop();
  });

  it('spreads chunks over both workers and returns results in order', async () => {
    const results = await pool.map(
      async (x: number) => {
        await sleep(20);
        return [x * 2, process.pid];
      },
      Array.from({ length: 40 }, (_, i) => i),
      capture({ sleep }),
      { chunkSize: 2 },
    );
    expect(results.map(([value]) => value)).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
    expect(new Set(results.map(([, pid]) => pid))).toEqual(new Set(workers.map((w) => w.pid)));
  });

  it('rebuilds errors thrown by the function, without retrying them', async () => {
    const results = await pool.map(
      (x: number) => {
        if (x === 1) throw Object.assign(new RangeError('bad one'), { code: 'E_ONE' });
        return x;
      },
      [0, 1, 2],
      { settle: true },
    );
    expect(results[0]).toEqual({ status: 'fulfilled', value: 0 });
    const reason = results[1]?.status === 'rejected' ? (results[1].reason as TaskError) : undefined;
    expect(reason).toBeInstanceOf(TaskError);
    expect((reason?.cause as { code?: string } | undefined)?.code).toBe('E_ONE');
  });

  it('refuses a job signed with another secret, and reports it; nothing runs', async () => {
    const forger = new ClosurePool({
      executor: bullmqBackend({
        connection: connection(),
        queue,
        secret: 'another secret, also 32 bytes long or more',
        concurrency: 1,
      }),
    });
    try {
      const marker = new Date().toISOString();
      const error = await forger
        .map((x: string) => x, [marker])
        .catch((e: unknown) => e as TaskError);
      expect(error).toBeInstanceOf(TaskError);
      expect(String((error as TaskError).message)).toMatch(/signature does not match/);
      await waitFor(() => /refused job .*signature does not match/.test(stderr.join('')));
    } finally {
      await forger.close();
    }
  });

  it('abort removes the jobs still queued', async () => {
    const controller = new AbortController();
    const busy = new ClosurePool({
      executor: bullmqBackend({ connection: connection(), queue, secret, concurrency: 20 }),
    });
    try {
      const running = busy.map(
        async (x: number) => {
          await sleep(1_000);
          return x;
        },
        Array.from({ length: 20 }, (_, i) => i),
        capture({ sleep }),
        { chunkSize: 1, signal: controller.signal },
      );
      const reason = new Error('stop');
      const q = new Queue(queue, { connection: connection() });
      try {
        // aborted while its jobs are running and others wait (a condition, not a time)
        await waitFor(async () => (await q.getActiveCount()) > 0);
        controller.abort(reason);
        await expect(running).rejects.toBe(reason);
        // removed, not run: each job takes 1 s, and the workers' slots are taken by running ones,
        // so a job left waiting would still be there for most of a second
        await waitFor(async () => (await q.getWaitingCount()) === 0, 900);
      } finally {
        await q.close();
      }
    } finally {
      await busy.close();
    }
  });

  it('a worker process killed mid-map: its chunks are picked up by the other, no item lost', async () => {
    // the aborted jobs still running finish first
    const q = new Queue(queue, { connection: connection() });
    await waitFor(async () => (await q.getActiveCount()) === 0);
    const running = pool.map(
      async (x: number) => {
        await sleep(300);
        return x * 10;
      },
      Array.from({ length: 12 }, (_, i) => i),
      capture({ sleep }),
      { chunkSize: 1 },
    );
    // killed while both workers hold jobs of this map
    await waitFor(async () => (await q.getActiveCount()) >= 2);
    await q.close();
    workers[0]!.kill('SIGKILL');
    expect(await running).toEqual(Array.from({ length: 12 }, (_, i) => i * 10));
  });
});
