// 9. The cost of going distributed: the same map on the local pool and on the BullMQ + Redis
// backend (one worker process on this machine), one item per chunk: the hop per chunk.
import { bullmqBackend, redisAvailable, startLocalCluster } from '@closure-pool/bullmq';
import { ClosurePool } from '@closure-pool/core';
import type { Scenario } from '../scenario.js';
import { interleave, time } from '../stats.js';

export const redisHop: Scenario = {
  id: 'redis-hop',
  steps: ({ quick }) => (quick ? 3 : 9),
  async run({ quick, cores, tick }) {
    const title =
      'Going distributed: 200 one-item chunks, local pool vs BullMQ + Redis backend (µs per chunk)';
    if (!redisAvailable()) {
      for (let i = 0; i < (quick ? 3 : 9); i++) tick();
      return {
        title,
        rows: [],
        goals: [],
        notes: ['skipped: redis-server is not installed (Debian: apt-get install redis-server)'],
      };
    }
    const items = Array.from({ length: 200 }, (_, i) => i);
    const secret = 'a bench secret, at least 32 bytes long';
    const queue = 'closure-pool-bench';
    const cluster = await startLocalCluster({ queue, secret, workers: 1, threads: cores });
    const local = new ClosurePool({ threads: cores });
    const remote = new ClosurePool({
      executor: bullmqBackend({
        connection: cluster.connection,
        queue,
        secret,
        concurrency: cores * 2,
      }),
    });
    try {
      const perChunk = async (pool: ClosurePool) =>
        ((await time(() => pool.map((x: number) => x + 1, items, { chunkSize: 1 }))) * 1000) /
        items.length;
      const results = await interleave(
        {
          'local pool (Piscina threads)': () => perChunk(local),
          'BullMQ + Redis backend, 1 worker process': () => perChunk(remote),
        },
        { reps: quick ? 3 : 9, warmup: 1, tick },
      );
      const base = results['local pool (Piscina threads)']!.median;
      return {
        title,
        rows: Object.entries(results).map(([contender, stats]) => ({
          contender,
          stats,
          unit: 'µs/chunk',
          note: `${(stats.median / base).toFixed(1)}× local`,
        })),
        goals: [],
      };
    } finally {
      await Promise.all([local.close(), remote.close()]);
      cluster.stop();
    }
  },
};
