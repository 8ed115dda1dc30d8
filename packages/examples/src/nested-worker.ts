// The report in shared/seeds: a batch callback that defines its worker function inside itself,
// three levels deep, and maps it over work items. The worker function has no free variables:
// everything it needs arrives in the work item (the report's first fix, "pass data explicitly"),
// and its helpers are nested inside it (no module-level helpers).
import { ClosurePool } from '@closure-pool/core';

export type Trace = { vertex: number; degree: number; fill: number }[];
export type WorkItem = [index: number, graphHash: string, graphJson: string];

export async function computeMissingTracesParallel(graphJsons: string[], nWorkers: number) {
  async function callbackBatchImpl(indices: number[]) {
    function computeTraceWorker(workItem: WorkItem): [number, [string, Trace]] {
      function deserializeGraph(json: string): Set<number>[] {
        const { n, edges } = JSON.parse(json) as { n: number; edges: [number, number][] };
        const adjacency = Array.from({ length: n }, () => new Set<number>());
        for (const [a, b] of edges) {
          adjacency[a]!.add(b);
          adjacency[b]!.add(a);
        }
        return adjacency;
      }
      // eliminate vertices, least degree first, connecting each one's neighbours (fill-in)
      function eliminateGraph(adjacency: Set<number>[]): Trace {
        const remaining = new Set(adjacency.keys());
        const trace: Trace = [];
        while (remaining.size > 0) {
          let vertex = -1;
          for (const v of remaining)
            if (vertex < 0 || adjacency[v]!.size < adjacency[vertex]!.size) vertex = v;
          const neighbours = [...adjacency[vertex]!];
          let fill = 0;
          for (const a of neighbours) {
            adjacency[a]!.delete(vertex);
            for (const b of neighbours) {
              if (a < b && !adjacency[a]!.has(b)) {
                adjacency[a]!.add(b);
                adjacency[b]!.add(a);
                fill++;
              }
            }
          }
          trace.push({ vertex, degree: neighbours.length, fill });
          remaining.delete(vertex);
        }
        return trace;
      }
      const [idx, graphHash, json] = workItem;
      return [idx, [graphHash, eliminateGraph(deserializeGraph(json))]];
    }

    const workItems = indices.map((i): WorkItem => [i, hashOf(graphJsons[i]!), graphJsons[i]!]);
    await using pool = new ClosurePool({ threads: nWorkers });
    return pool.map(computeTraceWorker, workItems);
  }
  return callbackBatchImpl([...graphJsons.keys()]);
}

/** Small random graphs as JSON, from a seeded generator, so runs are repeatable. */
export function randomGraphs(
  count: number,
  vertices: number,
  edgeProbability: number,
  seed = 1,
): string[] {
  let state = seed;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => {
    const edges: [number, number][] = [];
    for (let a = 0; a < vertices; a++)
      for (let b = a + 1; b < vertices; b++) if (random() < edgeProbability) edges.push([a, b]);
    return JSON.stringify({ n: vertices, edges });
  });
}

function hashOf(text: string): string {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return (hash >>> 0).toString(16);
}

export async function nestedWorkerExample({ graphs = 40, vertices = 120 } = {}) {
  const graphJsons = randomGraphs(graphs, vertices, 0.05);
  const started = performance.now();
  const traces = await computeMissingTracesParallel(graphJsons, 2);
  return { traces, seconds: (performance.now() - started) / 1000 };
}
