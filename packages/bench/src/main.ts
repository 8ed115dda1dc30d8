// `pnpm bench [--quick] [--check] [--only id,id]`: every scenario, each contender side by side in
// this one process, with a progress display; writes results/bench.{md,json} and SVG charts.
// --check fails when a goal is missed; a scenario that misses one is run again (up to twice) first,
// since these machines are shared and noisy, and the last run counts.
import { availableParallelism, cpus } from 'node:os';
import { SingleBar } from 'cli-progress';
import { writeReport } from './report.js';
import type { Scenario, ScenarioResult } from './scenario.js';
import { applyParts } from './scenarios/apply-parts.js';
import { applyStages } from './scenarios/apply-stages.js';
import { bigResult } from './scenarios/big-result.js';
import { captureData } from './scenarios/capture-data.js';
import { captureSize } from './scenarios/capture-size.js';
import { captureSoak } from './scenarios/capture-soak.js';
import { cpuScaling } from './scenarios/cpu-scaling.js';
import { idleMemory } from './scenarios/idle-memory.js';
import { oneCall } from './scenarios/one-call.js';
import { python } from './scenarios/python.js';
import { redisHop } from './scenarios/redis-hop.js';
import { scopeCheck } from './scenarios/scope-check.js';
import { seed } from './scenarios/seed.js';
import { soak } from './scenarios/soak.js';
import { startup } from './scenarios/startup.js';
import { trivialItems } from './scenarios/trivial-items.js';

const all: Scenario[] = [
  trivialItems,
  oneCall,
  applyParts,
  applyStages,
  cpuScaling,
  captureSize,
  captureData,
  captureSoak,
  startup,
  idleMemory,
  seed,
  soak,
  python,
  redisHop,
  bigResult,
  scopeCheck,
];
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const check = args.includes('--check');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1]?.split(',') : undefined;
const scenarios = only ? all.filter((s) => only.includes(s.id)) : all;
const cores = availableParallelism();

const bar = new SingleBar({
  format: 'bench [{bar}] {value}/{total} steps | {scenario}',
  stream: process.stderr,
  noTTYOutput: true,
  notTTYSchedule: 5000,
});
bar.start(
  scenarios.reduce((n, s) => n + s.steps({ quick, cores }), 0),
  0,
  { scenario: '' },
);
const retries = 2;
const results: ScenarioResult[] = [];
for (const scenario of scenarios) {
  bar.update({ scenario: scenario.id });
  let result = await scenario.run({ quick, cores, tick: () => bar.increment() });
  const earlier: string[] = [];
  for (
    let retry = 1;
    check && retry <= retries && result.goals.some((g) => !g.withinMargin);
    retry++
  ) {
    const missed = result.goals.filter((g) => !g.withinMargin).map((g) => g.name);
    earlier.push(`run ${retry} missed ${missed.join('; ')}`);
    bar.setTotal(bar.getTotal() + scenario.steps({ quick, cores }));
    bar.update({ scenario: `${scenario.id} (retry ${retry})` });
    result = await scenario.run({ quick, cores, tick: () => bar.increment() });
  }
  if (earlier.length > 0)
    result = { ...result, notes: [...(result.notes ?? []), `Retried: ${earlier.join('; ')}.`] };
  results.push(result);
}
bar.stop();

const header = `closure-pool bench${quick ? ' (--quick)' : ''}: Node ${process.version}, ${cores} cores (${cpus()[0]?.model ?? 'unknown CPU'}), medians of interleaved repetitions after a warm-up.`;
const md = await writeReport(new URL('../results/', import.meta.url), results, header);
console.log(md);
const missed = results.flatMap((r) => r.goals).filter((g) => !g.withinMargin);
if (check && missed.length > 0) {
  console.error(
    `bench --check: ${missed.length} goal(s) missed: ${missed.map((g) => g.name).join('; ')}`,
  );
  process.exit(1);
}
