export {
  Capture,
  capture,
  closure,
  ModuleRef,
  moduleRef,
  registerClass,
} from '@closure-pool/serializer';
export type { Items } from './chunking.js';
export {
  CaptureError,
  ClosurePoolError,
  ErrorCode,
  InvalidArgumentError,
  PayloadError,
  PoolClosedError,
  TaskError,
  TaskTimeoutError,
  WorkerCrashedError,
} from './errors.js';
export { type Executor, PiscinaExecutor } from './executor.js';
export type { CallOptions, PoolOptions, Progress } from './options.js';
export { ClosurePool } from './pool.js';
export type { ChunkTask } from './protocol.js';
