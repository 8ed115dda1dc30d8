// Going distributed: the same power_factory map, run by worker processes that take jobs from a
// BullMQ queue on Redis (here all on this machine: Redis on loopback and two `closure-pool-worker`
// processes). The code that maps does not change; only the pool's executor does.
import { bullmqBackend, redisAvailable, startLocalCluster } from '@closure-pool/bullmq';
import { ClosurePool, closure } from '@closure-pool/core';

export async function distributedExample({ sleepMs = 1000 } = {}) {
  if (!redisAvailable())
    return {
      skipped: 'redis-server is not installed (Debian: apt-get install redis-server)',
    } as const;
  const secret = 'a secret shared with the workers, 32+ bytes';
  const queue = 'closure-pool-demo';
  const cluster = await startLocalCluster({ queue, secret, workers: 2, threads: 3 });
  try {
    const pool = new ClosurePool({
      executor: bullmqBackend({ connection: cluster.connection, queue, secret, concurrency: 6 }),
    });
    const powerFactory = (y: number) =>
      closure(
        async (x: number) => {
          await new Promise((resolve) => setTimeout(resolve, sleepMs));
          return x ** y;
        },
        { y, sleepMs },
      );
    const started = performance.now();
    const results = await pool.map(powerFactory(2), [...Array(10).keys()], { chunkSize: 1 });
    const seconds = (performance.now() - started) / 1000;
    await pool.close();
    return { results, seconds, workers: cluster.workers.map((w) => w.pid) } as const;
  } finally {
    cluster.stop();
  }
}
