// The report: a Markdown table, a JSON file of every figure, and the SVG charts.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { perItemChart, speedupChart } from './charts.js';
import { MARGIN, type ScenarioResult } from './scenario.js';

const fmt = (n: number) =>
  n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n >= 1 ? n.toFixed(2) : n.toPrecision(2);

export function markdown(results: ScenarioResult[], header: string): string {
  const lines = [header, ''];
  for (const result of results) {
    lines.push(`### ${result.title}`, '');
    if (result.rows.length > 0) {
      lines.push('| contender | median | min – max | |', '|---|---:|---:|---|');
      for (const row of result.rows) {
        lines.push(
          `| ${row.contender} | ${fmt(row.stats.median)} ${row.unit} | ${fmt(row.stats.min)} – ${fmt(row.stats.max)} | ${row.note ?? ''} |`,
        );
      }
      lines.push('');
    }
    for (const note of result.notes ?? []) lines.push(`_${note}_`, '');
  }
  const goals = results.flatMap((r) => r.goals);
  if (goals.length > 0) {
    lines.push('### Goals', '', '| goal | target | measured | |', '|---|---|---:|---|');
    for (const g of goals) {
      const verdict = g.met
        ? 'met'
        : g.withinMargin
          ? `missed, within the ${MARGIN * 100}% margin`
          : '**missed**';
      lines.push(`| ${g.name} | ${g.target} | ${fmt(g.measured)} | ${verdict} |`);
    }
    lines.push(
      '',
      `_\`bench --check\` passes a goal whose median is within ${MARGIN * 100}% of its limit (these machines are shared and noisy), and runs a scenario that misses one again, up to twice._`,
      '',
    );
  }
  return lines.join('\n');
}

export async function writeReport(
  dir: URL,
  results: ScenarioResult[],
  header: string,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const md = markdown(results, header);
  await writeFile(new URL('bench.md', dir), md);
  await writeFile(
    new URL('bench.json', dir),
    JSON.stringify(
      {
        node: process.version,
        cpu: cpus()[0]?.model,
        cores: cpus().length,
        date: new Date().toISOString(),
        results,
      },
      null,
      2,
    ),
  );
  const trivial = results.find((r) => r.title.startsWith('Trivial items'));
  if (trivial)
    await writeFile(
      new URL('per-item.svg', dir),
      await perItemChart(
        trivial.rows.map((r) => ({ contender: r.contender, value: r.stats.median })),
      ),
    );
  const scaling = results.find((r) => r.title.startsWith('CPU-bound'));
  const speedups = scaling?.notes
    ?.find((note) => note.startsWith('speedups: '))
    ?.replace('speedups: ', '');
  if (speedups)
    await writeFile(new URL('speedup.svg', dir), await speedupChart(JSON.parse(speedups)));
  return md;
}
