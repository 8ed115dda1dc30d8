// Where one `apply` spends its time, stage by stage, so that a regression shows which stage moved:
// the main thread's part (capture check, encode, reply), the encoding alone, the worker's part
// (run a chunk of a cached closure; rebuild one), and the round trip through Piscina with
// closure-pool's worker file, beside the same round trip with a plain worker file.
import {
  type ChunkReply,
  ClosurePool,
  createLocalExecutor,
  type DirectMessage,
  type Executor,
} from '@closure-pool/core';
import { encodeClosure } from '@closure-pool/serializer';
import { Piscina } from 'piscina';
import { applyMessages, holdClosure } from '../apply-chunk.js';
import { closurePoolWorker, piscinaWorker, timedWorker } from '../peers/peers.js';
import type { Scenario } from '../scenario.js';
import { interleave, stats, usPerCall } from '../stats.js';
import { measureInThread } from '../thread.js';

const multiply = (a: number, b: number) => a * b;

/** An executor that answers every chunk at once: what is left of `apply` is the main thread's. */
const instant: Executor = {
  concurrency: 1,
  sharesMemory: true,
  run: async () => ({ done: 1, values: [42], errors: [], elapsedMs: 0 }),
  close: async () => {},
  destroy: async () => {},
};

/**
 * µs per chunk that the worker file's own handler takes in a thread, `n` in a row: of a cached
 * closure, and of a closure it rebuilds each time (a new payload id; its source compiled once).
 */
function workerSide(
  messages: { first: DirectMessage; repeated: DirectMessage },
  n: number,
): Promise<{ cached: number; rebuild: number }> {
  return measureInThread(
    `const { parentPort, workerData } = require('node:worker_threads');
    const mod = require(workerData.file);
    const runChunk = mod.default ?? mod;
    (async () => {
      const { messages: { first, repeated }, n } = workerData;
      await runChunk(first); // the thread holds the closure
      for (let i = 0; i < n; i++) await runChunk(repeated); // warm-up
      let started = performance.now();
      for (let i = 0; i < n; i++) await runChunk(repeated);
      const cached = ((performance.now() - started) * 1000) / n;
      started = performance.now();
      for (let i = 0; i < n; i++) {
        const [callId, , ...rest] = first;
        await runChunk([callId, 'fresh:' + i, ...rest]);
      }
      const rebuild = ((performance.now() - started) * 1000) / n;
      parentPort.postMessage({ cached, rebuild });
    })();`,
    { file: closurePoolWorker.pathname, messages, n },
  );
}

/** Milliseconds since the epoch, to the µs: comparable between threads. */
const now = () => performance.timeOrigin + performance.now();

/** The latency of one repeated `apply`, cut where it crosses between threads. */
const latencyStages = [
  'latency: main thread, apply to the post',
  'latency: the hop to the worker (Piscina, clone, wake-up)',
  'latency: the worker runs the chunk',
  'latency: the hop back',
  'latency: main thread, reply to result',
] as const;

/**
 * A pool on the timed worker file, through an executor that notes when each chunk was posted and
 * its reply came back: `measure(calls)` gives each stage's median over that many calls, in µs.
 */
function timedPool() {
  const local = createLocalExecutor({ threads: 1, workerFile: timedWorker });
  const marks = { posted: 0, started: 0, ended: 0, replied: 0 };
  const timed: Executor = {
    concurrency: 1,
    sharesMemory: true,
    run: async (task, signal) => {
      marks.posted = now();
      const answer = (await local.run(task, signal)) as unknown as {
        reply: ChunkReply;
        started: number;
        ended: number;
      };
      marks.replied = now();
      marks.started = answer.started;
      marks.ended = answer.ended;
      return answer.reply;
    },
    close: () => local.close(),
    destroy: () => local.destroy(),
  };
  const pool = new ClosurePool({ executor: timed });
  return {
    pool,
    async measure(calls: number): Promise<number[]> {
      const samples: number[][] = latencyStages.map(() => []);
      for (let i = 0; i < calls; i++) {
        const called = now();
        await pool.apply(multiply, [6, 7]);
        const returned = now();
        const { posted, started, ended, replied } = marks;
        const marksInOrder = [called, posted, started, ended, replied, returned];
        const spans = latencyStages.map(
          (_, stage) => marksInOrder[stage + 1]! - marksInOrder[stage]!,
        );
        for (let stage = 0; stage < spans.length; stage++)
          samples[stage]!.push(spans[stage]! * 1000);
      }
      return samples.map((values) => stats(values).median);
    },
  };
}

export const applyStages: Scenario = {
  id: 'apply-stages',
  steps: ({ quick }) => (quick ? 21 : 61),
  async run({ quick, tick }) {
    // many short rounds (see one-call): a slow spell of the machine falls inside one round
    const calls = 20;
    // a repeated apply's chunk, as the pool posts it to a thread: its result comes back bare
    const messages = applyMessages(multiply, [6, 7]);
    const mainOnly = new ClosurePool({ executor: instant });
    const pool = new ClosurePool({ threads: 1 });
    // one thread each, so that every round trip goes to a thread that has the closure
    const oursRaw = new Piscina({
      filename: closurePoolWorker.href,
      minThreads: 1,
      maxThreads: 1,
      atomics: 'disabled',
    });
    const plainRaw = new Piscina({
      filename: piscinaWorker,
      minThreads: 1,
      maxThreads: 1,
      atomics: 'disabled',
    });
    const perCall = (call: () => unknown) => usPerCall(calls, call);
    // how long the worker thread's event loop was busy per round trip (its event-loop
    // utilization): the worker's own cost on the critical path, which a slow wake-up of the
    // machine does not move the way it moves the latency
    const busy = { ours: [] as number[], plain: [] as number[] };
    const roundTrip = (raw: Piscina, call: () => unknown, into: number[]) => async () => {
      const thread = raw.threads[0]!;
      const before = thread.performance.eventLoopUtilization();
      const us = await perCall(call)();
      into.push((thread.performance.eventLoopUtilization(before).active * 1000) / calls);
      return us;
    };
    const workerRuns: { cached: number; rebuild: number }[] = [];
    const timing = timedPool();
    const latencies: number[][] = [];
    const reps = quick ? 21 : 61;
    try {
      await holdClosure((message) => oursRaw.run(message), messages, 42);
      const results = await interleave(
        {
          'apply, end to end (1 thread)': perCall(() => pool.apply(multiply, [6, 7])),
          'main thread: apply, answered at once': perCall(() => mainOnly.apply(multiply, [6, 7])),
          'main thread: encodeClosure (same function)': perCall(() => encodeClosure(multiply)),
          // an arrow written inline is a new function object at each call, of the same source
          'main thread: encodeClosure (inline arrow, new each call)': perCall(() =>
            encodeClosure((a: number, b: number) => a * b),
          ),
          'round trip: Piscina, closure-pool worker file': roundTrip(
            oursRaw,
            () => oursRaw.run(messages.repeated),
            busy.ours,
          ),
          'round trip: Piscina, plain worker file': roundTrip(
            plainRaw,
            () => plainRaw.run({ op: 'mul', x: 6, y: 7 }),
            busy.plain,
          ),
          // both worker rows from one thread's run; the second is read back below
          // the stages of one run, each the median of its calls; their sum is the row's value
          'latency: apply on the timed worker file, stage by stage': async () => {
            latencies.push(await timing.measure(calls));
            return latencies.at(-1)!.reduce((sum, us) => sum + us, 0);
          },
          'worker: run a chunk, closure cached': async () => {
            workerRuns.push(await workerSide(messages, 2000));
            return workerRuns.at(-1)!.cached;
          },
        },
        { reps, warmup: 1, tick },
      );
      results['worker: run a chunk, closure rebuilt (source compiled once)'] = stats(
        workerRuns.slice(-reps).map((run) => run.rebuild),
      );
      results['worker thread busy per round trip: closure-pool worker file'] = stats(
        busy.ours.slice(-reps),
      );
      results['worker thread busy per round trip: plain worker file'] = stats(
        busy.plain.slice(-reps),
      );
      latencyStages.forEach((stage, i) => {
        results[stage] = stats(latencies.slice(-reps).map((run) => run[i]!));
      });
      const end = results['apply, end to end (1 thread)']!.median;
      return {
        title:
          'Apply, stage by stage: where one call spends its time (µs per call; Piscina rows with atomics disabled, as closure-pool runs it)',
        rows: Object.entries(results).map(([contender, stats]) => ({
          contender,
          stats,
          unit: 'µs',
          note: `${((100 * stats.median) / end).toFixed(0)}% of apply`,
        })),
        goals: [],
        notes: [
          'The hop between threads is the plain round trip; closure-pool adds the main thread row and the worker rows to it.',
          "The busy rows are how long the worker thread's event loop was not waiting, per round trip (event-loop utilization): Piscina's message handling, the clone and the handler, without the wait for a wake-up (wall time: a loaded machine inflates it too).",
          'The latency rows cut each call of a repeated apply where it crosses between threads (marks taken on each side, from performance.timeOrigin): a regression shows in the stage that moved.',
        ],
      };
    } finally {
      await Promise.all([
        pool.close(),
        mainOnly.close(),
        timing.pool.close(),
        oursRaw.destroy(),
        plainRaw.destroy(),
      ]);
    }
  },
};
