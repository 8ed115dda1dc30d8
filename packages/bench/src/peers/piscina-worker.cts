// The static worker file that raw piscina needs: the peer closure-pool is measured against.
// CommonJS, as piscina's docs write it (and see core's scripts/bundle-worker.mjs on require(esm)).
type PeerTask =
  | { op: 'mul'; x: number; y: number }
  | { op: 'chunk'; xs: number[]; y: number }
  | { op: 'objects'; xs: number[] }
  | { op: 'fib'; n: number }
  | { op: 'noop' };

const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2));

function run(task: PeerTask): number | number[] | { x: number }[] | null {
  if (task.op === 'mul') return task.x * task.y;
  if (task.op === 'chunk') return task.xs.map((x) => x * task.y);
  if (task.op === 'objects') return task.xs.map((x) => ({ x }));
  if (task.op === 'fib') return fib(task.n);
  return null;
}

export = run;
