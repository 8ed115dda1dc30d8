// 9. The cost of going distributed: the same work on the local pool and on the BullMQ + Redis
// backend (one worker process on this machine): the hop per chunk (one-item chunks), per item (a
// map of 10,000 with automatic chunks) and per call (`apply` after `apply`).
import { bullmqBackend, redisAvailable, startLocalCluster } from '@closure-pool/bullmq';
import { ClosurePool } from '@closure-pool/core';
import type { Scenario } from '../scenario.js';
import { interleave, time } from '../stats.js';

export const redisHop: Scenario = {
  id: 'redis-hop',
  steps: ({ quick }) => (quick ? 3 : 9),
  async run({ quick, cores, tick }) {
    const title =
      'Going distributed: local pool vs BullMQ + Redis backend, per chunk (200 one-item chunks), per item (10,000, automatic chunks) and per call (20 applies)';
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
      const many = Array.from({ length: 10_000 }, (_, i) => i);
      const perChunk = async (pool: ClosurePool) =>
        ((await time(() => pool.map((x: number) => x + 1, items, { chunkSize: 1 }))) * 1000) /
        items.length;
      const perItem = async (pool: ClosurePool) =>
        ((await time(() => pool.map((x: number) => x + 1, many))) * 1000) / many.length;
      const perCall = async (pool: ClosurePool) =>
        ((await time(async () => {
          for (let i = 0; i < 20; i++) await pool.apply((x: number) => x + 1, [i]);
        })) *
          1000) /
        20;
      const measures = { chunk: perChunk, item: perItem, call: perCall };
      const results = await interleave(
        Object.fromEntries(
          Object.entries(measures).flatMap(([per, measure]) => [
            [`per ${per}: local pool (Piscina threads)`, () => measure(local)],
            [`per ${per}: BullMQ + Redis, 1 worker process`, () => measure(remote)],
          ]),
        ),
        { reps: quick ? 3 : 9, warmup: 1, tick },
      );
      return {
        title,
        rows: Object.entries(results).map(([contender, stats]) => {
          const per = contender.slice(4, contender.indexOf(':'));
          const base = results[`per ${per}: local pool (Piscina threads)`]!.median;
          return {
            contender,
            stats,
            unit: `µs/${per}`,
            note: `${(stats.median / base).toFixed(1)}× local`,
          };
        }),
        goals: [],
      };
    } finally {
      await Promise.all([local.close(), remote.close()]);
      cluster.stop();
    }
  },
};
