// Where one `apply` costs more than Piscina's `run`, layer by layer: each row adds one layer to the
// one below it, and each ratio of neighbours (round by round) is what that layer costs, with the
// threads waking and sleeping between calls as they do in use.
import { ClosurePool, createLocalExecutor } from '@closure-pool/core';
import { Piscina } from 'piscina';
import { applyChunk, applyMessages, holdClosure } from '../apply-chunk.js';
import { closurePoolWorker, piscinaWorker } from '../peers/peers.js';
import { type Scenario, spread } from '../scenario.js';
import { interleave, pairedRatio, usPerCall } from '../stats.js';

const multiply = (a: number, b: number) => a * b;

const layers = [
  'pool.apply',
  "the pool's executor: run(chunk)",
  "Piscina run(chunk), closure-pool's worker file",
  'Piscina run, plain worker file, event loop kept',
  'Piscina run, plain worker file (its default)',
] as const;

/** What each layer adds: the row above it against the row. */
const costs = [
  "the pool's own part (checks, encoding, the direct path, reading the reply)",
  'the executor',
  "closure-pool's worker file and its chunk message and reply, against a plain one",
  "keeping the thread's event loop (against Piscina's Atomics.wait)",
] as const;

export const applyParts: Scenario = {
  id: 'apply-parts',
  steps: ({ quick }) => (quick ? 41 : 201),
  async run({ quick, tick }) {
    // many short rounds (see one-call): a slow spell of the machine falls inside one round
    const calls = 20;
    // the chunk a repeated apply posts: its result comes back bare
    const chunk = { ...applyChunk(multiply, [6, 7], true), sent: true as const };
    // and that chunk as the executor posts it to a thread (without the frame its thread holds)
    const messages = applyMessages(multiply, [6, 7]);
    const one = { minThreads: 1, maxThreads: 1 };
    const pool = new ClosurePool({ threads: 1 });
    const executor = createLocalExecutor({ threads: 1 });
    const oursRaw = new Piscina({ filename: closurePoolWorker.href, ...one, atomics: 'disabled' });
    const plainLoop = new Piscina({ filename: piscinaWorker, ...one, atomics: 'disabled' });
    const plain = new Piscina({ filename: piscinaWorker, ...one });
    const perCall = (call: () => unknown) => usPerCall(calls, call);
    try {
      const plainTask = { op: 'mul', x: 6, y: 7 };
      // each thread first holds the closure, as after the pool's first call
      await holdClosure((message) => oursRaw.run(message), messages, 42);
      await executor.run(applyChunk(multiply, [6, 7], true));
      if ((await executor.run(chunk)) !== (42 as unknown))
        throw new Error('The executor did not hold the closure.');
      const results = await interleave(
        {
          [layers[0]]: perCall(() => pool.apply(multiply, [6, 7])),
          [layers[1]]: perCall(() => executor.run(chunk)),
          [layers[2]]: perCall(() => oursRaw.run(messages.repeated)),
          [layers[3]]: perCall(() => plainLoop.run(plainTask)),
          [layers[4]]: perCall(() => plain.run(plainTask)),
        },
        { reps: quick ? 41 : 201, warmup: 5, tick },
      );
      const base = results[layers[4]]!.median;
      return {
        title: `Apply, layer by layer: each row adds one layer to the row below it (µs per call, 1 thread, ${calls} calls a round)`,
        rows: layers.map((contender) => ({
          contender,
          stats: results[contender]!,
          unit: 'µs',
          note: `${(results[contender]!.median / base).toFixed(2)}× Piscina's default`,
        })),
        goals: [],
        notes: costs.map(
          (cost, i) =>
            `${cost}: ${spread(pairedRatio(results[layers[i]!]!, results[layers[i + 1]!]!))}`,
        ),
      };
    } finally {
      await Promise.all([
        pool.close(),
        executor.destroy(),
        oursRaw.destroy(),
        plainLoop.destroy(),
        plain.destroy(),
      ]);
    }
  },
};
