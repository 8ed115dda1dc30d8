// A cluster on this machine, for trying the backend and for its tests: a real Redis server on a
// free loopback port, and worker processes started with the package's own `closure-pool-worker`.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export function redisAvailable(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Reads a child's stdout until `pattern` appears. */
function waitFor(child: ChildProcess, pattern: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${seen}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk;
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}: ${seen}`)));
  });
}

/** A redis-server on loopback; on `port` when given (to restart one, empty, where it was). */
export async function startRedis(port?: number): Promise<{ port: number; stop(): Promise<void> }> {
  port ??= await freePort();
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await waitFor(redis, /Ready to accept connections/, 'redis-server');
  return {
    port,
    // resolves once the server is gone, so that another can start on its port
    stop: () =>
      new Promise<void>((resolve) => {
        if (redis.exitCode !== null || redis.signalCode !== null) return resolve();
        redis.once('exit', () => resolve());
        redis.kill('SIGKILL');
      }),
  };
}

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** A `closure-pool-worker` process; with several secrets (newest first), as during a rotation. */
export async function startWorker(
  port: number,
  queue: string,
  secret: string | readonly string[],
  threads = 1,
  /** More `closure-pool-worker` flags, such as `--max-stalled 1`. */
  flags: readonly string[] = [],
): Promise<ChildProcess> {
  const secrets = typeof secret === 'string' ? [secret] : secret;
  const names = secrets.map((_, i) => `CLOSURE_POOL_SECRET_${i}`);
  const worker = spawn(
    process.execPath,
    [
      cli,
      '--redis',
      `redis://127.0.0.1:${port}`,
      '--queue',
      queue,
      '--threads',
      String(threads),
      '--lock-duration',
      '2000',
      '--stalled-interval',
      '1000',
      ...names.flatMap((name) => ['--secret-env', name]),
      ...flags,
    ],
    {
      env: { ...process.env, ...Object.fromEntries(names.map((name, i) => [name, secrets[i]])) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  await waitFor(worker, /ready on queue/, 'closure-pool-worker');
  return worker;
}

/** Redis and `workers` worker processes on this machine; `stop()` ends them all. */
export async function startLocalCluster(options: {
  queue: string;
  secret: string;
  workers: number;
  threads?: number;
}) {
  const redis = await startRedis();
  const workers = await Promise.all(
    Array.from({ length: options.workers }, () =>
      startWorker(redis.port, options.queue, options.secret, options.threads),
    ),
  );
  return {
    connection: { host: '127.0.0.1', port: redis.port },
    workers,
    async stop() {
      for (const worker of workers) worker.kill('SIGKILL');
      await redis.stop();
    },
  };
}
