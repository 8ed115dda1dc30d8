// SVG charts drawn with Vega (rendered headless, no canvas needed).
import * as vega from 'vega';

async function render(spec: vega.Spec): Promise<string> {
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** Speedup over the main thread against threads, with the ideal line. */
export function speedupChart(points: { threads: number; speedup: number }[]): Promise<string> {
  const values = [
    ...points.map((p) => ({ ...p, series: 'closure-pool' })),
    ...points.map((p) => ({ threads: p.threads, speedup: p.threads, series: 'ideal' })),
  ];
  return render({
    $schema: 'https://vega.github.io/schema/vega/v5.json',
    width: 360,
    height: 240,
    padding: 8,
    title: { text: 'CPU-bound speedup over the main thread (fib(30))' },
    data: [{ name: 'points', values }],
    scales: [
      {
        name: 'x',
        type: 'linear',
        domain: { data: 'points', field: 'threads' },
        range: 'width',
        nice: true,
        zero: false,
      },
      {
        name: 'y',
        type: 'linear',
        domain: { data: 'points', field: 'speedup' },
        range: 'height',
        nice: true,
        zero: true,
      },
      {
        name: 'color',
        type: 'ordinal',
        domain: ['closure-pool', 'ideal'],
        range: ['#1f77b4', '#bbbbbb'],
      },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: 'threads', tickMinStep: 1 },
      { orient: 'left', scale: 'y', title: 'speedup (×)' },
    ],
    legends: [{ fill: 'color', orient: 'top-left' }],
    marks: [
      {
        type: 'group',
        from: { facet: { name: 'series', data: 'points', groupby: 'series' } },
        marks: [
          {
            type: 'line',
            from: { data: 'series' },
            encode: {
              enter: {
                x: { scale: 'x', field: 'threads' },
                y: { scale: 'y', field: 'speedup' },
                stroke: { scale: 'color', field: 'series' },
                strokeWidth: { value: 2 },
              },
            },
          },
          {
            type: 'symbol',
            from: { data: 'series' },
            encode: {
              enter: {
                x: { scale: 'x', field: 'threads' },
                y: { scale: 'y', field: 'speedup' },
                fill: { scale: 'color', field: 'series' },
              },
            },
          },
        ],
      },
    ],
  });
}

/** µs per item for each contender, on a log scale. */
export function perItemChart(bars: { contender: string; value: number }[]): Promise<string> {
  return render({
    $schema: 'https://vega.github.io/schema/vega/v5.json',
    width: 420,
    height: 30 * bars.length,
    padding: 8,
    title: { text: 'Trivial items: µs per item (log scale, lower is better)' },
    data: [{ name: 'bars', values: bars }],
    scales: [
      {
        name: 'x',
        type: 'log',
        domain: { data: 'bars', field: 'value' },
        range: 'width',
        nice: true,
      },
      {
        name: 'y',
        type: 'band',
        domain: { data: 'bars', field: 'contender' },
        range: 'height',
        padding: 0.2,
      },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: 'µs per item' },
      { orient: 'left', scale: 'y', labelLimit: 320 },
    ],
    marks: [
      {
        type: 'rect',
        from: { data: 'bars' },
        encode: {
          enter: {
            x: { scale: 'x', value: Math.min(...bars.map((b) => b.value)) / 2 },
            x2: { scale: 'x', field: 'value' },
            y: { scale: 'y', field: 'contender' },
            height: { scale: 'y', band: 1 },
            fill: {
              signal:
                "datum.contender === 'closure-pool (automatic chunks)' ? '#1f77b4' : '#9ecae1'",
            },
          },
        },
      },
      {
        type: 'text',
        from: { data: 'bars' },
        encode: {
          enter: {
            x: { scale: 'x', field: 'value', offset: 4 },
            y: { scale: 'y', field: 'contender', band: 0.5 },
            baseline: { value: 'middle' },
            text: { signal: "format(datum.value, '.3~g')" },
            fontSize: { value: 10 },
          },
        },
      },
    ],
  });
}
