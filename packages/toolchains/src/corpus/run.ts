// Runs every case of the corpus in place and in a pool's worker, and says how each went.
import { isDeepStrictEqual } from 'node:util';
import { CaptureError, ClosurePool } from '@closure-pool/core';
import { type Call, cases } from './cases.js';

/** How one case went: the same result in the worker (ok), refused at the call site, or broken. */
export interface Outcome {
  readonly outcome: 'ok' | 'refused' | 'broken';
  /** The refusal's message, or what went wrong. */
  readonly detail?: string;
}

type Settled = { value: unknown } | { error: unknown };

async function settle(run: () => Promise<unknown>): Promise<Settled> {
  try {
    return { value: await run() };
  } catch (error) {
    return { error };
  }
}

const describe = (s: Settled) =>
  'value' in s
    ? JSON.stringify(s.value)
    : `${(s.error as Error)?.name}: ${(s.error as Error)?.message}`;

/** Every case's outcome, by feature. */
export async function runCorpus(): Promise<Record<string, Outcome>> {
  const pool = new ClosurePool({ threads: 1 });
  const inPlace: Call = async (fn, args) => fn(...args);
  const inWorker: Call = (fn, args, captured) => pool.apply(fn as any, args, captured);
  const outcomes: Record<string, Outcome> = {};
  try {
    for (const { feature, run } of cases) {
      const local = await settle(() => run(inPlace));
      const remote = await settle(() => run(inWorker));
      if ('error' in remote && remote.error instanceof CaptureError) {
        outcomes[feature] = { outcome: 'refused', detail: remote.error.message };
      } else if (
        'value' in local && 'value' in remote
          ? isDeepStrictEqual(structuredClone(local.value), remote.value)
          : describe(local) === describe(remote)
      ) {
        outcomes[feature] = { outcome: 'ok' };
      } else {
        outcomes[feature] = {
          outcome: 'broken',
          detail: `in place: ${describe(local)}; in the worker: ${describe(remote)}`,
        };
      }
    }
  } finally {
    await pool.close();
  }
  return outcomes;
}
