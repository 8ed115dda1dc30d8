import { availableParallelism } from 'node:os';
import { TaskError, TaskTimeoutError } from '@closure-pool/core';
import { describe, expect, it } from 'vitest';
import { distributedExample } from './distributed.js';
import { errorsExample } from './errors-and-cancellation.js';
import { nestedWorkerExample, randomGraphs } from './nested-worker.js';
import { powerFactoryExample } from './power-factory.js';
import { missingCapture, quickstart, streamingAndOptions } from './quickstart.js';
import { streamingExample } from './streaming.js';
import { wordFrequenciesExample } from './word-frequencies.js';

// Every example, in a fast mode, so that an example that breaks fails CI.
describe('examples', () => {
  it('quickstart', async () => {
    expect(await quickstart()).toEqual({ squares: [1, 4, 9], cubes: [1, 8, 27] });
  });

  it('a missing capture is reported with the fix', async () => {
    const logged: string[] = [];
    const log = console.log;
    console.log = (message: string) => logged.push(message);
    try {
      await missingCapture();
    } finally {
      console.log = log;
    }
    expect(logged[0]).toMatch(
      /fn uses y \(here 2 \(number\)\), which a worker thread does not have\. Fix: capture\(\{ y \}\)/,
    );
  });

  it('imap and call options', async () => {
    const log = console.log;
    console.log = () => {};
    try {
      const { seen, settled } = await streamingAndOptions();
      expect(seen).toEqual([...Array(32).keys()].map((n) => n * n));
      expect(settled[0]).toEqual({ status: 'fulfilled', value: 10 });
      expect(settled[1]?.status === 'rejected' && settled[1].reason).toBeInstanceOf(
        TaskTimeoutError,
      );
    } finally {
      console.log = log;
    }
  });

  it('power_factory: the closure runs on the pool and gives the squares', async () => {
    const { results, sequential } = await powerFactoryExample({ sleepMs: 20 });
    expect(results).toEqual([0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
    expect(sequential).toEqual(results);
  });

  it('nested worker function: traces match a run on the main thread', async () => {
    const { traces } = await nestedWorkerExample({ graphs: 6, vertices: 30 });
    expect(traces.map(([index]) => index)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const [, [hash, trace]] of traces) {
      expect(hash).toMatch(/^[0-9a-f]+$/);
      expect(trace).toHaveLength(30);
      expect(new Set(trace.map((t) => t.vertex)).size).toBe(30); // every vertex eliminated once
    }
    expect(randomGraphs(2, 10, 0.3)).toEqual(randomGraphs(2, 10, 0.3)); // seeded: repeatable
  });

  it('word frequencies: workers read files through moduleRef and skip captured stop words', async () => {
    const { totals, words } = await wordFrequenciesExample({
      files: 12,
      wordsPerFile: 500,
      progress: false,
    });
    expect(totals.has('the')).toBe(false);
    expect(totals.get('closure')).toBeGreaterThan(0);
    const stopped = ['the', 'a', 'of', 'and', 'to', 'in', 'is', 'it', 'that'];
    expect([...totals.values()].reduce((a, b) => a + b, 0)).toBeLessThan(words);
    expect([...totals.keys()].some((w) => stopped.includes(w))).toBe(false);
  });

  it('streaming: stops early and never reads far ahead', async () => {
    const { consumed, produced, maxAhead } = await streamingExample({
      items: 1_000_000,
      stopAfter: 150_000,
    });
    expect(consumed).toBe(150_000);
    expect(produced).toBeLessThan(1_000_000);
    // at most two chunks per thread in flight and two per thread waiting, each of at most 10,000 items
    expect(maxAhead).toBeLessThanOrEqual(availableParallelism() * 4 * 10_000);
  });

  it('errors and cancellation', async () => {
    const { failure, aborted, settled, timedOut } = await errorsExample();
    expect(failure).toBeInstanceOf(TaskError);
    expect(failure?.index).toBe(1);
    expect((failure?.cause as { code?: string } | undefined)?.code).toBe('E_QTY');
    expect(aborted?.name).toBe('TimeoutError');
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(timedOut).toBeInstanceOf(TaskTimeoutError);
  });

  it('distributed: the power_factory map through BullMQ worker processes', async () => {
    const outcome = await distributedExample({ sleepMs: 20 });
    if ('skipped' in outcome) {
      expect(process.env.CI).toBeFalsy(); // CI installs redis-server
      return;
    }
    expect(outcome.results).toEqual([0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
  });
});

describe('pool features (README)', () => {
  it('init, zip, zero-copy, observability', async () => {
    const { initExample, zipExample, zeroCopyExample, observeExample } = await import(
      './pool-features.js'
    );
    expect(await initExample()).toEqual(['/models/tiny.bin: 1', '/models/tiny.bin: 2']);
    expect(await zipExample()).toEqual([11, 22, 33]);
    expect(await zeroCopyExample()).toEqual({ length: 1_000_000, hits: 3 });
    const log = console.log;
    console.log = () => {};
    try {
      expect(await observeExample()).toEqual({
        itemsCompleted: 3,
        busyThreads: 0,
        hasRunTime: true,
        threads: 4,
      });
    } finally {
      console.log = log;
    }
  });
});
