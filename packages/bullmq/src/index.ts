export { type BullmqBackendOptions, bullmqBackend } from './backend.js';
export { redisAvailable, startLocalCluster } from './local-cluster.js';
export { startWorkerProcess, type WorkerProcessOptions } from './worker-process.js';
