export {
  Capture,
  capture,
  closure,
  ModuleRef,
  moduleRef,
  registerClass,
  setScopeChecks,
} from '@closure-pool/serializer';
export type { Items } from './chunking.js';
export {
  CaptureError,
  ClosurePoolError,
  ErrorCode,
  ExecutorUnavailableError,
  InvalidArgumentError,
  PayloadError,
  PoolClosedError,
  StrayError,
  TaskError,
  TaskTimeoutError,
  WORKER_PROCESS_LOST,
  WorkerCrashedError,
} from './errors.js';
export {
  type Executor,
  type ExecutorStats,
  exitCodeOf,
  type Percentiles,
  PiscinaExecutor,
} from './executor.js';
export { createLocalExecutor } from './local-executor.js';
export { type CallOptions, checkOptionNames, type PoolOptions, type Progress } from './options.js';
export { ClosurePool, type PoolStats } from './pool.js';
export {
  type ChunkReply,
  type ChunkTask,
  type DirectMessage,
  directCallTask,
  type PayloadHandle,
  toDirectMessage,
} from './protocol.js';
export { transfer } from './transfer.js';
export { type Row, zip } from './zip.js';
