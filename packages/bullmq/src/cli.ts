#!/usr/bin/env node
// closure-pool-worker --redis redis://host:6379 --queue NAME [--threads N] [--secret-env VAR …]
// Takes closure-pool chunk jobs from a BullMQ queue and runs them on local worker threads.
// The shared secret comes from an environment variable (never the command line, which `ps` shows);
// while a cluster rotates its secret, name two variables, the new one first.
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { MIN_SECRET_BYTES } from '@closure-pool/serializer';
import { startWorkerProcess } from './worker-process.js';

const usage = `Usage: closure-pool-worker --queue NAME [options]

Takes closure-pool jobs from a BullMQ queue in Redis and runs them on worker threads.

Options:
  --queue NAME             the queue the pool sends its jobs to (required)
  --redis URL              the Redis server (default redis://127.0.0.1:6379)
  --threads N              worker threads (default: the machine's cores, ${availableParallelism()} here)
  --secret-env VAR         the environment variable holding the secret shared with the pool, at
                           least ${MIN_SECRET_BYTES} bytes (default CLOSURE_POOL_SECRET); give it twice, newest
                           first, while rotating the secret
  --lock-duration MS       how long a job's lock lasts without renewal (default 30000): a job
                           whose process died is taken up again by another after it
  --stalled-interval MS    how often jobs whose process died are looked for (default 30000)
  --max-stalled N          how many times a job whose process died is run again before it fails
                           with WorkerCrashedError (default 2)
  --close-timeout MS       on SIGTERM or SIGINT, how long running jobs may take to finish before
                           the process exits anyway (default 10000); a second signal exits at once
  --help                   this text
`;

function fail(message: string): never {
  process.stderr.write(`closure-pool-worker: ${message} (see --help)\n`);
  process.exit(2);
}

let values: ReturnType<typeof parse>['values'];
try {
  ({ values } = parse());
} catch (error) {
  fail((error as Error).message);
}
function parse() {
  return parseArgs({
    options: {
      help: { type: 'boolean', default: false },
      redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
      queue: { type: 'string' },
      threads: { type: 'string', default: String(availableParallelism()) },
      'secret-env': { type: 'string', multiple: true, default: ['CLOSURE_POOL_SECRET'] },
      'lock-duration': { type: 'string' },
      'stalled-interval': { type: 'string' },
      'max-stalled': { type: 'string', default: '2' },
      'close-timeout': { type: 'string', default: '10000' },
    },
  });
}
if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}

if (!values.queue) fail('--queue NAME is required: the queue the pool sends its jobs to.');
const secret = values['secret-env']!.map((name) => {
  const value = process.env[name];
  if (!value) fail(`the environment variable ${name} must hold the secret shared with the pool.`);
  if (Buffer.byteLength(value) < MIN_SECRET_BYTES)
    fail(
      `the secret in ${name} is ${Buffer.byteLength(value)} bytes; it must be at least ${MIN_SECRET_BYTES}.`,
    );
  return value;
});
const count = (name: keyof typeof values, min: number): number | undefined => {
  const text = values[name] as string | undefined;
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    fail(`--${name} must be an integer from ${min} up, got ${text}.`);
  return n;
};
const threads = count('threads', 1)!;
const closeTimeout = count('close-timeout', 0)!;
let url: URL;
try {
  url = new URL(values.redis!);
} catch {
  fail(`--redis must be a URL such as redis://127.0.0.1:6379, got ${values.redis}.`);
}
const lockDuration = count('lock-duration', 1);
const stalledInterval = count('stalled-interval', 1);
const worker = await startWorkerProcess({
  connection: {
    host: url.hostname,
    port: Number(url.port || 6379),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  },
  queue: values.queue,
  secret,
  threads,
  maxStalledCount: count('max-stalled', 0)!,
  ...(lockDuration ? { lockDuration } : {}),
  ...(stalledInterval ? { stalledInterval } : {}),
});
process.stdout.write(
  `closure-pool-worker: ready on queue ${values.queue} at ${url.host}, ${threads} threads (${threads * 2} jobs at once), pid ${process.pid}, Node ${process.version}\n`,
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    process.stdout.write(
      `closure-pool-worker: ${signal}: taking no more jobs, finishing the running ones (at most ${closeTimeout} ms)\n`,
    );
    // with Redis unreachable, closing can wait for ever: the bound ends it (BullMQ's stalled-job
    // check then gives unfinished jobs to another worker)
    const bound = setTimeout(() => {
      process.stderr.write(
        'closure-pool-worker: the running jobs did not finish in time; exiting\n',
      );
      process.exit(1);
    }, closeTimeout);
    void worker.close().then(() => {
      clearTimeout(bound);
      process.exit(0);
    });
  });
}
