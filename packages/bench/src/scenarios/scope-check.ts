// What reading V8's scopes costs a call (issue 20): apply with the inspector's scope check on and
// off, for a function made anew each call (its scopes are read each time) and for the same function
// again (read once, cached by identity).
import { ClosurePool, capture, setScopeChecks } from '@closure-pool/core';
import type { Scenario } from '../scenario.js';
import { interleave, usPerCall } from '../stats.js';

const signed = (n: number) => `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(0)}`;

export const scopeCheck: Scenario = {
  id: 'scope-check',
  steps: ({ quick }) => (quick ? 5 : 15),
  async run({ quick, tick }) {
    const calls = 200;
    const pool = new ClosurePool({ threads: 1 });
    // reads a global (Math) and a captured name: the global's binding is what the check asks V8
    const make = (y: number) => (x: number) => Math.sqrt(x) + y;
    const same = make(1);
    const perCall = (scopes: boolean, fresh: boolean) => async () => {
      setScopeChecks(scopes);
      try {
        return await usPerCall(calls, () =>
          pool.apply(fresh ? make(1) : same, [4], capture({ y: 1 })),
        )();
      } finally {
        setScopeChecks(true);
      }
    };
    try {
      const results = await interleave(
        {
          'new function each call, scopes read': perCall(true, true),
          'new function each call, source only': perCall(false, true),
          'same function, scopes read': perCall(true, false),
          'same function, source only': perCall(false, false),
        },
        { reps: quick ? 5 : 15, warmup: 2, tick },
      );
      const base = (name: string) => results[name.replace('scopes read', 'source only')]!.median;
      return {
        title: `Scope check: apply latency with V8's scopes read or not, ${calls} calls in a row (µs per call)`,
        rows: Object.entries(results).map(([contender, stats]) => ({
          contender,
          stats,
          unit: 'µs/call',
          note: contender.endsWith('scopes read')
            ? `${signed(stats.median - base(contender))} µs over source only`
            : undefined,
        })),
        goals: [],
        notes: [
          'Scopes are read once per function object (then cached), and only for functions that read a name the capture does not bind (a global such as Math, or a missing name).',
        ],
      };
    } finally {
      await pool.close();
    }
  },
};
