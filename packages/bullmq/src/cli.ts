#!/usr/bin/env node
// closure-pool-worker --redis redis://host:6379 --queue NAME [--threads N] [--secret-env VAR …]
// Takes closure-pool chunk jobs from a BullMQ queue and runs them on local worker threads.
// The shared secret comes from an environment variable (never the command line, which `ps` shows);
// while a cluster rotates its secret, name two variables, the new one first.
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { MIN_SECRET_BYTES } from '@closure-pool/serializer';
import { startWorkerProcess } from './worker-process.js';

const { values } = parseArgs({
  options: {
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    queue: { type: 'string' },
    threads: { type: 'string', default: String(availableParallelism()) },
    'secret-env': { type: 'string', multiple: true, default: ['CLOSURE_POOL_SECRET'] },
    'lock-duration': { type: 'string' },
    'stalled-interval': { type: 'string' },
  },
});

function fail(message: string): never {
  process.stderr.write(`closure-pool-worker: ${message}\n`);
  process.exit(2);
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
const threads = Number(values.threads);
if (!Number.isInteger(threads) || threads < 1)
  fail(`--threads must be an integer from 1 up, got ${values.threads}.`);
const url = new URL(values.redis!);
const worker = await startWorkerProcess({
  connection: {
    host: url.hostname,
    port: Number(url.port || 6379),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  },
  queue: values.queue,
  secret,
  threads,
  ...(values['lock-duration'] ? { lockDuration: Number(values['lock-duration']) } : {}),
  ...(values['stalled-interval'] ? { stalledInterval: Number(values['stalled-interval']) } : {}),
});
process.stdout.write(
  `closure-pool-worker: ready on queue ${values.queue} with ${threads} threads (pid ${process.pid})\n`,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void worker.close().then(() => process.exit(0)));
}
