// [main] The seam between the pool and the engine that runs chunks. The local Piscina thread pool
// is the default; another engine (a job queue, a cluster) implements the same four members.
import { Piscina } from 'piscina';
import type { ResolvedPoolOptions } from './options.js';
import {
  type ChunkReply,
  type ChunkTask,
  isBareResult,
  isStrayReport,
  type PayloadHandle,
  type StrayReport,
  toDirectMessage,
  type WorkerSettings,
} from './protocol.js';

/** Runs chunks somewhere. */
export interface Executor {
  /** How many chunks can run at once. */
  readonly concurrency: number;
  /**
   * Whether its workers share the call's memory (threads of this process): they then report each
   * item's start and end, and write outcomes to the chunk's log as they go, so that a worker's
   * death blames only the item it was running.
   */
  readonly sharesMemory?: boolean;
  /**
   * Whether `run` honours `ChunkTask.bare` (a direct call's primitive result may come back alone):
   * only then is a task marked so, and a reply that is not an object taken for a result.
   */
  readonly bareResults?: boolean;
  /**
   * Runs one chunk, resolving with the worker's reply (or its `v8.serialize` bytes). When `signal` aborts, a running chunk
   * is stopped (its thread terminated) and the promise rejects; any other rejection means the
   * thread running it died, and is described by `exitCodeOf`.
   */
  run(task: ChunkTask, signal?: AbortSignal): Promise<ChunkReply | Uint8Array>;
  /** Finishes running chunks, then stops. */
  close(): Promise<void>;
  /** Stops now; running chunks reject. */
  destroy(): Promise<void>;
  /**
   * Where to send errors a call's function left behind after its chunk ended (a timer's throw):
   * optional, for engines whose workers report them.
   */
  onStray?(listener: (report: StrayReport) => void): void;
  /** Where to tell of threads (or worker processes) starting and exiting: optional. */
  onThread?(listener: (event: 'start' | 'exit', threadId: number) => void): void;
  /** What it can tell of itself now: optional. */
  stats?(): ExecutorStats;
}

/** The pool's options (see `PoolOptions`), resolved, and where the worker file is. */
export interface PiscinaExecutorOptions extends ResolvedPoolOptions {
  readonly workerFile: URL;
  /** The pool's `init`, encoded. */
  readonly init?: PayloadHandle | undefined;
}

/** What an executor can tell of itself: see `ClosurePool.stats()`. */
export interface ExecutorStats {
  readonly threads: number;
  readonly busyThreads: number;
  readonly queuedChunks: number;
  /** Milliseconds each chunk ran, and waited in the queue before a thread took it. */
  readonly runTime?: Percentiles;
  readonly waitTime?: Percentiles;
  /** The share of the threads' time spent running chunks, from 0 to 1. */
  readonly utilization?: number;
}

export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** The default executor: a Piscina pool of worker threads running `worker.js`. */
export class PiscinaExecutor implements Executor {
  readonly concurrency: number;
  readonly sharesMemory = true;
  readonly bareResults = true;
  private readonly piscina: Piscina;
  /** How to fail each chunk in flight. */
  private readonly inFlight = new Set<(reason: unknown) => void>();

  constructor(options: PiscinaExecutorOptions) {
    this.concurrency = options.threads;
    this.piscina = new Piscina({
      filename: options.workerFile.href,
      minThreads: options.threads,
      maxThreads: options.threads,
      idleTimeout: options.idleTimeout,
      maxQueue: options.maxQueue,
      // between chunks a thread's event loop keeps running, as in any Node thread: timers and
      // promises a function left behind go on (Piscina's default, 'sync', blocks the thread in
      // Atomics.wait, which freezes them until the next chunk arrives and never reports their
      // rejections). Chunks arrive as plain messages: 'async' (Atomics.waitAsync) keeps the loop
      // running too, and measured no faster (bench one-call)
      atomics: 'disabled',
      workerData: {
        cacheBytes: options.cacheBytes,
        maxTasks: options.maxTasksPerThread,
        ...(options.init
          ? {
              init: {
                id: options.init.id,
                frame: options.init.frame,
                ...(options.init.shared ? { shared: options.init.shared } : {}),
              },
            }
          : {}),
      } satisfies WorkerSettings,
      ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
      ...(options.env !== undefined ? { env: options.env as Record<string, string> } : {}),
      ...(options.execArgv ? { execArgv: [...options.execArgv] } : {}),
      ...(options.argv ? { argv: [...options.argv] } : {}),
    });
    this.piscina.on('workerCreate', ({ id }: { id: number }) => {
      this.threadListener?.('start', id);
      // the thread's own 'exit': Piscina's 'workerDestroy' comes when its id is no longer known
      const thread = this.piscina.threads.find((worker) => worker.threadId === id);
      thread?.once('exit', () => this.threadListener?.('exit', id));
    });
    // Piscina reports a thread it cannot make sense of (a function broke the thread's own code)
    // as an 'error' event, which unhandled would crash the calling process: the chunks in flight
    // fail instead, as on a thread's death, and their calls carry on
    this.piscina.on('error', (error: unknown) => {
      for (const reject of [...this.inFlight]) reject(error);
      this.inFlight.clear();
    });
    this.piscina.on('message', (message: unknown) => {
      if (isStrayReport(message)) this.strayListener?.(message);
    });
  }

  private strayListener: ((report: StrayReport) => void) | undefined;
  private threadListener: ((event: 'start' | 'exit', threadId: number) => void) | undefined;

  onThread(listener: (event: 'start' | 'exit', threadId: number) => void): void {
    this.threadListener = listener;
  }

  stats(): ExecutorStats {
    const { piscina } = this;
    const threads = piscina.threads.length;
    const summary = (h: Record<string, number> | undefined): Percentiles | undefined =>
      h && Number.isFinite(h.p50!)
        ? { p50: h.p50!, p90: h.p90!, p99: h.p99!, max: h.max!, mean: h.mean! }
        : undefined;
    const histogram = piscina.histogram as unknown as {
      runTime?: Record<string, number>;
      waitTime?: Record<string, number>;
    };
    const runTime = summary(histogram.runTime);
    const waitTime = summary(histogram.waitTime);
    return {
      threads,
      busyThreads: Math.max(0, threads - piscina.idleThreads),
      queuedChunks: piscina.queueSize,
      ...(runTime ? { runTime } : {}),
      ...(waitTime ? { waitTime } : {}),
      utilization: piscina.utilization,
    };
  }

  onStray(listener: (report: StrayReport) => void): void {
    this.strayListener = listener;
  }

  run(task: ChunkTask, signal?: AbortSignal): Promise<ChunkReply | Uint8Array> {
    return new Promise((resolve, reject) => {
      this.inFlight.add(reject);
      this.piscina.run(toDirectMessage(task) ?? task, signal ? { signal } : {}).then(
        (reply: ChunkReply | Uint8Array) => {
          this.inFlight.delete(reject);
          if (
            !isBareResult(reply) &&
            !(reply instanceof Uint8Array) &&
            reply.retiring !== undefined
          )
            this.replace(reply.retiring);
          resolve(reply);
        },
        (error) => {
          this.inFlight.delete(reject);
          reject(error);
        },
      );
    });
  }

  /**
   * Stops a thread that ran its last chunk (`maxTasksPerThread`); Piscina starts another. A chunk
   * sent to it meanwhile was answered `retired`, or fails unstarted: either way it goes again.
   */
  private replace(threadId: number): void {
    const thread = this.piscina.threads.find((worker) => worker.threadId === threadId);
    void thread?.terminate();
  }

  close(): Promise<void> {
    return this.piscina.close();
  }

  destroy(): Promise<void> {
    return this.piscina.destroy();
  }
}

/** What a rejection from `Executor.run` says about the thread: its exit code, if it exited. */
export function exitCodeOf(error: unknown): number | undefined {
  const match = /exited with code:? (-?\d+)/.exec(String((error as Error)?.message ?? ''));
  return match ? Number(match[1]) : undefined;
}
