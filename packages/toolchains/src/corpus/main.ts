// What each toolchain's output runs: the corpus's outcomes, as JSON on standard output.
import { runCorpus } from './run.js';

runCorpus().then(
  (outcomes) => process.stdout.write(JSON.stringify(outcomes)),
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
