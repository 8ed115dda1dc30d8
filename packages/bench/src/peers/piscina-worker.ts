// The static worker file that raw piscina needs: the peer closure-pool is measured against.
export type PeerTask =
  | { op: 'mul'; x: number; y: number }
  | { op: 'chunk'; xs: number[]; y: number }
  | { op: 'noop' };

export default function run(task: PeerTask): number | number[] | null {
  if (task.op === 'mul') return task.x * task.y;
  if (task.op === 'chunk') return task.xs.map((x) => x * task.y);
  return null;
}
