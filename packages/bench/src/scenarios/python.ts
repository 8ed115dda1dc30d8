// 7. Python's multiprocess (dill) Pool, where it is installed: per-item overhead of the same
// power_factory closure over trivial items, with default chunking and with chunksize 1.
import { execFileSync } from 'node:child_process';
import type { Scenario } from '../scenario.js';
import { stats } from '../stats.js';

const script = `
import json, sys, time
from multiprocess import Pool
def power_factory(y):
    def f(x):
        return pow(x, y)
    return f
if __name__ == '__main__':
    n, reps, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    square = power_factory(2)
    out = {'default': [], 'chunksize=1': []}
    with Pool(threads) as p:
        p.map(square, range(100))
        for _ in range(reps):
            t = time.perf_counter(); p.map(square, range(n)); out['default'].append((time.perf_counter() - t) * 1e6 / n)
            t = time.perf_counter(); p.map(square, range(n // 10), chunksize=1); out['chunksize=1'].append((time.perf_counter() - t) * 1e6 / (n // 10))
    print(json.dumps(out))
`;

function findPython(): string | undefined {
  for (const python of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(python, ['-c', 'import multiprocess'], { stdio: 'ignore' });
      return python;
    } catch {}
  }
  return undefined;
}

export const python: Scenario = {
  id: 'python',
  steps: () => 1,
  async run({ quick, cores, tick }) {
    const title = `Python multiprocess Pool (dill), power_factory(2) over trivial items, ${cores} processes (µs per item)`;
    const interpreter = findPython();
    tick();
    if (!interpreter) {
      return {
        title,
        rows: [],
        goals: [],
        notes: [
          "skipped: Python's multiprocess is not installed (Debian: apt-get install python3-multiprocess)",
        ],
      };
    }
    const n = 100_000;
    const out = JSON.parse(
      execFileSync(interpreter, ['-c', script, String(n), String(quick ? 2 : 5), String(cores)], {
        encoding: 'utf8',
      }),
    ) as Record<string, number[]>;
    return {
      title,
      rows: Object.entries(out).map(([mode, samples]) => ({
        contender: `multiprocess Pool.map, ${mode}`,
        stats: stats(samples),
        unit: 'µs/item',
      })),
      goals: [],
      notes: [`${interpreter}; chunksize=1 over ${(n / 10).toLocaleString()} items`],
    };
  },
};
