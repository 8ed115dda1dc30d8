// closure-pool's own worker file, timed: each chunk's reply comes back with when its handler
// started and ended (ms since the epoch, to the µs), for the latency rows of apply-stages.
const { join } = require('node:path') as typeof import('node:path');

const core = join(require.resolve('@closure-pool/core/package.json'), '..');
const inner = require(join(core, 'dist', 'worker.cjs'));
const runChunk: (task: unknown) => unknown = inner.default ?? inner;
const now = () => performance.timeOrigin + performance.now();

async function timed(task: unknown): Promise<{ reply: unknown; started: number; ended: number }> {
  const started = now();
  const reply = await runChunk(task);
  return { reply, started, ended: now() };
}

export = timed;
