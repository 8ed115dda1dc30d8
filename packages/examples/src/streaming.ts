// Streaming: imap over a lazy generator of a million items. Results come back in order while the
// input is still being read; only a bounded window is ever in memory, and `break` ends it early.
import { ClosurePool, capture } from '@closure-pool/core';

export async function streamingExample({ items = 1_000_000, stopAfter = 900_000 } = {}) {
  let produced = 0;
  function* numbers() {
    while (produced < items) yield produced++;
  }
  const modulus = 97;
  await using pool = new ClosurePool();
  const started = performance.now();
  let consumed = 0;
  let checksum = 0;
  let maxAhead = 0;
  for await (const residue of pool.imap(
    (n: number) => (n * n) % modulus,
    numbers(),
    capture({ modulus }),
  )) {
    checksum = (checksum + residue) % 1_000_000_007;
    consumed++;
    maxAhead = Math.max(maxAhead, produced - consumed);
    if (consumed === stopAfter) break;
  }
  return { consumed, produced, maxAhead, checksum, seconds: (performance.now() - started) / 1000 };
}
