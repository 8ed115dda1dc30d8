// [main] The BullMQ backend's options, checked where the backend is made: a misspelt option or a
// value of the wrong kind would otherwise be ignored (the default used instead) or fail later, in
// every call, far from its cause.
import { checkOptionNames, InvalidArgumentError } from '@closure-pool/core';
import type { BullmqBackendOptions } from './backend.js';

const backendOptionNames = [
  'connection',
  'queue',
  'secret',
  'concurrency',
  'payloadTtl',
  'jobTtl',
  'maxReplyBytes',
  'redisTimeout',
  'workerTimeout',
  'checkInterval',
] as const;

/** Numeric options: each above 0, in its unit; `integer` ones whole. */
const amounts: readonly [name: keyof BullmqBackendOptions, unit: string, integer: boolean][] = [
  ['concurrency', 'chunks', true],
  ['payloadTtl', 'seconds', false],
  ['jobTtl', 'milliseconds', false],
  ['maxReplyBytes', 'bytes', true],
  ['redisTimeout', 'milliseconds', false],
  ['workerTimeout', 'milliseconds', false],
  ['checkInterval', 'milliseconds', false],
];

export function checkBackendOptions(options: BullmqBackendOptions): void {
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(
      `Expected the backend options to be an object like { connection, queue, secret }, got ${String(options)} (${typeof options}).`,
    );
  checkOptionNames(options, backendOptionNames, 'backend');
  if (options.connection === null || typeof options.connection !== 'object')
    throw new InvalidArgumentError(
      `Expected \`connection\` to be the Redis server, like { host: '127.0.0.1', port: 6379 } or an ioredis client, got \`${String(options.connection)}\` (${typeof options.connection}).`,
    );
  if (typeof options.queue !== 'string' || options.queue === '' || options.queue.includes(':'))
    throw new InvalidArgumentError(
      `Expected \`queue\` to be a queue name without ':' (BullMQ's separator), like 'closures', got \`${String(options.queue)}\` (${typeof options.queue}).`,
    );
  for (const [name, unit, integer] of amounts) {
    const value = options[name];
    if (value === undefined) continue;
    const ok =
      typeof value === 'number' &&
      value > 0 &&
      (integer ? Number.isInteger(value) : value < Infinity);
    if (!ok)
      throw new InvalidArgumentError(
        `Expected \`${name}\` to be ${integer ? 'a whole number' : 'a number'} of ${unit} above 0, got \`${String(value)}\` (${typeof value}).`,
      );
  }
}
