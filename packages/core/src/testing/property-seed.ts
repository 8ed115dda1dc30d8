// One seed for every property of this test run (issue 21): `FC_SEED=<seed>` replays a failing run;
// otherwise a fresh one. A failure's message carries `{ seed, path }` (fast-check prints it), which
// the CI log keeps; a seed that found a bug becomes a fixed regression case next to its property.
import fc from 'fast-check';

const seed =
  process.env.FC_SEED !== undefined
    ? Number(process.env.FC_SEED)
    : (Date.now() ^ Math.floor(Math.random() * 2 ** 31)) | 0;
fc.configureGlobal({ seed });
