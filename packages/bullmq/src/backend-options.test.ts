// The backend's options are checked where it is made, as the pool's are: no Redis needed.
import { InvalidArgumentError } from '@closure-pool/core';
import { describe, expect, it } from 'vitest';
import { bullmqBackend } from './backend.js';

const valid = {
  connection: { host: '127.0.0.1', port: 6379 },
  queue: 'closures',
  secret: 'k'.repeat(32),
};

describe('bullmqBackend options', () => {
  it.each([
    [{ concurency: 4 }, /^Unknown backend option `concurency`: did you mean `concurrency`\?/],
    [
      { concurrency: 0 },
      /^Expected `concurrency` to be a whole number of chunks above 0, got `0` \(number\)\.$/,
    ],
    [
      { concurrency: '4' },
      /`concurrency` to be a whole number of chunks above 0, got `4` \(string\)/,
    ],
    [{ payloadTtl: -1 }, /^Expected `payloadTtl` to be a number of seconds above 0, got `-1`/],
    [
      { redisTimeout: Number.POSITIVE_INFINITY },
      /`redisTimeout` to be a number of milliseconds above 0, got `Infinity`/,
    ],
    [{ maxReplyBytes: 1.5 }, /`maxReplyBytes` to be a whole number of bytes above 0/],
    [{ queue: 'a:b' }, /^Expected `queue` to be a queue name without ':'.*got `a:b` \(string\)\.$/],
    [{ queue: '' }, /`queue` to be a queue name/],
    [
      { connection: 'redis://x' },
      /^Expected `connection` to be the Redis server, like \{ host: '127\.0\.0\.1', port: 6379 \} or an ioredis client, got `redis:\/\/x` \(string\)\.$/,
    ],
  ])('%o is refused where the backend is made', (change, message) => {
    const make = () => bullmqBackend({ ...valid, ...change } as never);
    expect(make).toThrow(InvalidArgumentError);
    expect(make).toThrow(message);
  });

  it('options that are not an object are refused', () => {
    expect(() => bullmqBackend(undefined as never)).toThrow(
      /^Expected the backend options to be an object like \{ connection, queue, secret \}, got undefined \(undefined\)\.$/,
    );
  });
});
