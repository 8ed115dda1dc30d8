import { createPayloadCache, encodeClosure } from '@closure-pool/serializer';

const recs = Array.from({ length: 1e5 }, (_, i) => ({
  id: i,
  name: `n${i}`,
  tags: ['a', `t${i % 10}`],
}));
const f64 = new Float64Array((10 * 2 ** 20) / 8).map((_, i) => i);
const cache = createPayloadCache(64 * 2 ** 20);
const med = (f, n = 9) => {
  const ts = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    f(i);
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  return ts[n >> 1].toFixed(1);
};
const size = (v) => v.length;
console.log(
  'recs warm',
  med(() => encodeClosure(() => size(recs), { size, recs }, { cache })),
);
console.log(
  'recs first',
  med((i) => {
    recs[0].id = i + 100;
    encodeClosure(() => size(recs), { size, recs }, { cache });
  }),
);
console.log(
  'f64 warm',
  med(() => encodeClosure(() => size(f64), { size, f64 }, { cache })),
);
console.log(
  'f64 first',
  med((i) => {
    f64[0] = i + 100;
    encodeClosure(() => size(f64), { size, f64 }, { cache });
  }),
);
