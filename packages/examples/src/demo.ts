// `pnpm demo`: runs every example and prints what it shows, with timings.
import { distributedExample } from './distributed.js';
import { errorsExample } from './errors-and-cancellation.js';
import { nestedWorkerExample } from './nested-worker.js';
import { powerFactoryExample } from './power-factory.js';
import { quickstart } from './quickstart.js';
import { streamingExample } from './streaming.js';
import { wordFrequenciesExample } from './word-frequencies.js';

const fast = process.argv.includes('--fast');
const section = (title: string) =>
  console.log(`\n── ${title} ${'─'.repeat(Math.max(0, 70 - title.length))}`);
const s = (seconds: number) => `${seconds.toFixed(2)} s`;

section('quickstart');
console.log(await quickstart());

section('power_factory (shared/seeds): 10 items × 1 s sleep, 5 threads');
const power = await powerFactoryExample(fast ? { sleepMs: 100 } : {});
console.log('results    ', power.results);
console.log(`sequential  ${s(power.sequentialSeconds)}   (Python's article: about 10 s)`);
console.log(`5 threads   ${s(power.parallelSeconds)}   (pathos ProcessPool(5): 2.02 s)`);

section('nested worker function (shared/seeds): graph elimination traces');
const nested = await nestedWorkerExample(fast ? { graphs: 8, vertices: 40 } : {});
const [index, [hash, trace]] = nested.traces[0]!;
console.log(
  `${nested.traces.length} graphs traced in ${s(nested.seconds)}; graph ${index} (hash ${hash}): ${trace.length} eliminations, fill-in ${trace.reduce((n, t) => n + t.fill, 0)}`,
);

section('word frequencies: moduleRef(node:fs/promises), a captured Set, a progress bar');
const words = await wordFrequenciesExample(fast ? { files: 20, wordsPerFile: 2_000 } : {});
console.log(
  `${words.files} files, ${words.words.toLocaleString()} words in ${s(words.seconds)}; top 5:`,
  words.top,
);

section('streaming: imap over a lazy generator of a million items, stopping early');
const stream = await streamingExample(fast ? { items: 100_000, stopAfter: 90_000 } : {});
console.log(
  `consumed ${stream.consumed.toLocaleString()} of ${stream.produced.toLocaleString()} read from the generator (at most ${stream.maxAhead.toLocaleString()} ahead) in ${s(stream.seconds)}`,
);

section('errors and cancellation');
const errors = await errorsExample();
console.log(
  'failing item   →',
  errors.failure?.message,
  '| cause:',
  `${errors.failure?.cause}`,
  '| code:',
  (errors.failure?.cause as { code?: string } | undefined)?.code,
);
console.log(
  `AbortSignal    → rejected with ${errors.aborted} after ${Math.round(errors.abortedAfterMs)} ms`,
);
console.log(
  'timeout: 300   →',
  errors.settled.map((r) => r.status).join(', '),
  '|',
  errors.timedOut?.message,
);

section('distributed: the same power_factory map on two worker processes via BullMQ + Redis');
const distributed = await distributedExample(fast ? { sleepMs: 100 } : {});
if ('skipped' in distributed) console.log('skipped:', distributed.skipped);
else
  console.log(
    'results',
    distributed.results,
    `in ${s(distributed.seconds)} on worker processes ${distributed.workers.join(', ')} (3 threads each)`,
  );
