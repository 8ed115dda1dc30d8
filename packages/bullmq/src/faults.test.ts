// The cluster path under the faults an operator meets, with a real redis-server and real worker
// processes: Redis down or restarted empty, payloads gone, workers killed by the function they run,
// and the worker command's own manners. Nothing may hang; every item gets exactly one outcome.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  ClosurePool,
  capture,
  ExecutorUnavailableError,
  moduleRef,
  TaskError,
  WorkerCrashedError,
} from '@closure-pool/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type BullmqBackendOptions, bullmqBackend } from './backend.js';
import { redisAvailable, startRedis, startWorker } from './local-cluster.js';
import { waitFor } from './testing/wait-for.js';

const hasRedis = redisAvailable();
const secret = 'a test secret, at least 32 bytes long';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Until a job of `queue` runs on a worker: a fault injected then hits a map mid-way. */
async function untilActive(port: number, queue: string): Promise<void> {
  const q = new Queue(queue, { connection: { host: '127.0.0.1', port } });
  try {
    await waitFor(
      async () => (await q.getActiveCount()) > 0,
      20_000,
      'no job of the map became active',
    );
  } finally {
    await q.close();
  }
}
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let queues = 0;

/** Everything a test starts, stopped after it whatever happened. */
const started: { stop(): unknown }[] = [];
afterEach(async () => {
  for (const thing of started.splice(0).reverse()) await thing.stop();
});

function track(worker: ChildProcess): ChildProcess {
  started.push({ stop: () => worker.kill('SIGKILL') });
  return worker;
}

async function cluster(workers: number, flags: string[] = [], threads = 1) {
  const queue = `faults-${process.pid}-${++queues}`;
  const redis = await startRedis();
  const handle = { redis, queue, workers: [] as ChildProcess[] };
  started.push({ stop: () => handle.redis.stop() });
  for (let i = 0; i < workers; i++)
    handle.workers.push(track(await startWorker(redis.port, queue, secret, threads, flags)));
  return handle;
}

function poolOn(
  port: number,
  queue: string,
  options: Partial<BullmqBackendOptions> = {},
): ClosurePool {
  const pool = new ClosurePool({
    executor: bullmqBackend({
      connection: { host: '127.0.0.1', port },
      queue,
      secret,
      concurrency: 4,
      redisTimeout: 2_000,
      workerTimeout: 3_000,
      checkInterval: 200,
      ...options,
    }),
  });
  started.push({ stop: () => pool.terminate() });
  return pool;
}

describe.skipIf(!hasRedis)('Redis faults', () => {
  it('Redis down when a map starts: the call fails with an error naming the server, and close() returns', async () => {
    const { redis, queue } = await cluster(0);
    await redis.stop();
    const pool = poolOn(redis.port, queue);
    const error = await pool.map((x: number) => x, [1, 2]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutorUnavailableError);
    expect((error as Error).message).toMatch(
      new RegExp(`Redis at 127\\.0\\.0\\.1:${redis.port} did not answer within 2000 ms`),
    );
    await pool.close();
  });

  it('Redis gone mid-map and not back: the call fails after redisTimeout, naming the server', async () => {
    const c = await cluster(1);
    const pool = poolOn(c.redis.port, c.queue);
    const running = pool
      .map(
        async (x: number) => {
          await sleep(1_000);
          return x;
        },
        [1, 2, 3, 4],
        capture({ sleep }),
        { chunkSize: 1 },
      )
      .catch((e: unknown) => e);
    await untilActive(c.redis.port, c.queue);
    await c.redis.stop();
    const error = await running;
    expect(error).toBeInstanceOf(ExecutorUnavailableError);
    expect((error as Error).message).toMatch(
      new RegExp(`Redis at 127\\.0\\.0\\.1:${c.redis.port} did not answer within 2000 ms`),
    );
    await pool.close();
  });

  it('Redis restarted empty mid-map, back within the bound: payload and jobs sent again, every item once', async () => {
    const c = await cluster(2);
    const pool = poolOn(c.redis.port, c.queue, { redisTimeout: 10_000 });
    const running = pool.map(
      async (x: number) => {
        await sleep(50);
        return x * 2;
      },
      Array.from({ length: 60 }, (_, i) => i),
      capture({ sleep }),
      { chunkSize: 2 },
    );
    await untilActive(c.redis.port, c.queue);
    await c.redis.stop();
    await sleep(500); // down for a while: part of the scenario
    c.redis = await startRedis(c.redis.port);
    expect(await running).toEqual(Array.from({ length: 60 }, (_, i) => i * 2));
  });

  it('a payload gone from Redis (FLUSHALL) is stored again, not a permanent failure', async () => {
    const c = await cluster(1);
    const pool = poolOn(c.redis.port, c.queue);
    const k = 3;
    const times = (x: number) => x * k;
    expect(await pool.map(times, [1, 2], capture({ k }))).toEqual([3, 6]);
    const redis = new Redis({ host: '127.0.0.1', port: c.redis.port });
    await redis.flushall();
    redis.disconnect();
    expect(await pool.map(times, [3, 4], capture({ k }))).toEqual([9, 12]);
  });
});

describe.skipIf(!hasRedis)('worker processes lost', () => {
  it('a function that kills its own process: retried on other workers, then that item fails with WorkerCrashedError', async () => {
    // two threads per process: a job that lands on item 2's process runs beside it, not queued
    // behind it on one thread (where it would wait for the kill, and die with item 2 twice)
    const c = await cluster(3, ['--max-stalled', '1'], 2);
    const pool = poolOn(c.redis.port, c.queue, { workerTimeout: 20_000 });
    // item 2 kills its process only once the caller has the other three (which may share that
    // process): the caller says so with a file, written from its progress report
    const go = join(mkdtempSync(join(tmpdir(), 'closure-pool-kill-')), 'go');
    const fs = moduleRef<typeof import('node:fs')>('node:fs');
    const results = await pool.map(
      async (x: number) => {
        if (x === 2) {
          const until = Date.now() + 20_000;
          while (!fs.existsSync(go) && Date.now() < until) await sleep(10);
          // the other items never all came back: one is stuck behind this one
          if (!fs.existsSync(go)) fs.writeFileSync(`${go}.late`, '');
          process.kill(process.pid, 'SIGKILL');
        }
        return x;
      },
      [0, 1, 2, 3],
      capture({ sleep, fs, go }),
      {
        chunkSize: 1,
        settle: true,
        onProgress: ({ completed }) => {
          if (completed >= 3) writeFileSync(go, '');
        },
      },
    );
    expect(existsSync(`${go}.late`), 'item 2 waited 20 s for the other items').toBe(false);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    const crash = (results[2] as PromiseRejectedResult).reason as WorkerCrashedError;
    expect(crash).toBeInstanceOf(WorkerCrashedError);
    expect(crash.index).toBe(2);
    expect(crash.message).toMatch(/worker process stopped while running it/);
    // one of the three workers is still alive and serving
    expect(await pool.map((x: number) => x + 1, [1])).toEqual([2]);
  });

  it('when no worker is alive at all, the call fails after workerTimeout, saying so', async () => {
    const c = await cluster(1);
    const pool = poolOn(c.redis.port, c.queue, { workerTimeout: 2_000 });
    const error = await pool
      .map(
        (x: number) => {
          if (x === 1) process.kill(process.pid, 'SIGKILL');
          return x;
        },
        [0, 1, 2],
        { chunkSize: 1 },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutorUnavailableError);
    expect((error as Error).message).toMatch(
      new RegExp(`No closure-pool-worker has been connected to queue ${c.queue}`),
    );
    expect(error).not.toBeInstanceOf(TaskError);
  });
});

describe.skipIf(!hasRedis)('the closure-pool-worker command', () => {
  const run = promisify(execFile);

  it('--help prints usage and exits 0; a bad flag is one line and exit 2', async () => {
    const help = await run(process.execPath, [cli, '--help']);
    expect(help.stdout).toMatch(/^Usage: closure-pool-worker --queue NAME/);
    const bad = await run(process.execPath, [cli, '--queue', 'q', '--bogus']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr.trim().split('\n')).toHaveLength(1);
    expect((bad as { stderr: string }).stderr).toMatch(/Unknown option '--bogus'/);
  });

  it('says where it listens on start, and exits on SIGTERM within --close-timeout even with Redis gone', async () => {
    const redis = await startRedis();
    started.push({ stop: () => redis.stop() });
    const worker = track(
      spawn(
        process.execPath,
        [
          cli,
          '--redis',
          `redis://127.0.0.1:${redis.port}`,
          '--queue',
          'q',
          '--threads',
          '1',
          '--close-timeout',
          '1000',
        ],
        { env: { ...process.env, CLOSURE_POOL_SECRET: secret }, stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    let out = '';
    worker.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    while (!/ready on queue/.test(out)) await sleep(50);
    expect(out).toMatch(
      new RegExp(
        `ready on queue q at 127\\.0\\.0\\.1:${redis.port}, 1 threads \\(2 jobs at once\\), pid \\d+, Node v\\d+`,
      ),
    );
    await redis.stop();
    worker.kill('SIGTERM');
    const code = await new Promise((resolve) => worker.once('exit', resolve));
    expect([0, 1]).toContain(code);
    expect(out).toMatch(/SIGTERM: taking no more jobs/);
  });
});

describe.skipIf(!hasRedis)('chaos', () => {
  it('10,000 items on 3 worker processes, while workers are SIGKILLed and Redis restarts empty: one outcome per item, as in a thread', async () => {
    const flags = ['--max-stalled', '3'];
    const c = await cluster(3, flags);
    const pool = poolOn(c.redis.port, c.queue, {
      concurrency: 6,
      redisTimeout: 15_000,
      workerTimeout: 15_000,
    });
    const items = Array.from({ length: 10_000 }, (_, i) => i);
    const f = (x: number) => {
      const until = Date.now() + 1;
      while (Date.now() < until);
      return x * 2 + 1;
    };
    const running = pool.map(f, items, { chunkSize: 50, settle: true });
    const events: string[] = [];
    const kill = async (at: number) => {
      const victim = c.workers.splice(at, 1)[0]!;
      victim.kill('SIGKILL');
      events.push(`SIGKILL worker ${victim.pid}`);
      c.workers.push(track(await startWorker(c.redis.port, c.queue, secret, 1, flags)));
    };
    await sleep(1_000);
    await kill(0);
    await sleep(1_000);
    await c.redis.stop();
    events.push('redis-server killed');
    await sleep(300);
    c.redis = await startRedis(c.redis.port);
    events.push('redis-server restarted, empty');
    await sleep(1_000);
    await kill(1);
    const results = await running;
    const fulfilled = results.filter((r) => r.status === 'fulfilled').length;
    const rejected = results.length - fulfilled;
    console.log(
      `chaos: ${events.join('; ')} — ${results.length} outcomes for ${items.length} items: ${fulfilled} results, ${rejected} errors`,
    );
    expect(results).toHaveLength(items.length);
    expect(results).toEqual(items.map((x) => ({ status: 'fulfilled', value: f(x) })));
  });
});
